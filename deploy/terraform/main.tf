# The AWS side of one cutover environment: the route table's DynamoDB table and the
# least-privilege IAM user whose access key the Worker holds. One state per environment
# (docs/terraform.md).

provider "aws" {
  region = var.region

  default_tags {
    tags = var.tags
  }
}

data "aws_partition" "current" {}

locals {
  worker_user_name = coalesce(var.worker_user_name, "${var.table_name}-worker")
  # The key the outputs show, and so the one the Worker is given: the newest label.
  current_access_key = var.worker_access_keys[length(var.worker_access_keys) - 1]
}

# Exactly what `cutover init` creates (cli/ensure-table.ts): string keys pk/sk, on-demand
# billing, TTL on expiresAt; plus point-in-time recovery, which the CLI leaves off. Readers
# filter on expiresAt themselves, so TTL's lag in deleting items never shows.
resource "aws_dynamodb_table" "cutover" {
  name         = var.table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  # Versions and the audit trail are only ever added to; PITR is what restores them after a
  # mistake made with other credentials than the Worker's.
  point_in_time_recovery {
    enabled = true
  }
}

# The Worker signs with long-lived keys (the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
# secrets): an IAM user, since a Worker cannot assume a role by itself.
resource "aws_iam_user" "worker" {
  name = local.worker_user_name
}

resource "aws_iam_access_key" "worker" {
  for_each = toset(var.worker_access_keys)
  user     = aws_iam_user.worker.name
}

# Everything the Worker may do in the account, and nothing more: no wildcard action, no "*"
# resource. test/deploy/terraform.test.ts holds this to the code it serves.
data "aws_iam_policy_document" "worker" {
  # The operations store/dynamo-api.ts sends (X-Amz-Target), on the table alone (no indexes:
  # the table has none). No DeleteItem: versions and audit entries are never removed.
  statement {
    sid       = "CutoverTable"
    effect    = "Allow"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
    resources = [aws_dynamodb_table.cutover.arn]
  }

  # aws-iam backends on Lambda function URLs (docs/aws-backends.md).
  dynamic "statement" {
    for_each = length(var.lambda_function_arns) > 0 ? [1] : []
    content {
      sid       = "InvokeFunctionUrls"
      effect    = "Allow"
      actions   = ["lambda:InvokeFunctionUrl"]
      resources = var.lambda_function_arns
    }
  }

  # Since October 2025 a function URL also checks lambda:InvokeFunction (AWS Lambda docs,
  # "Control access to Lambda function URLs"). The condition confines it to calls that arrive
  # through the function's URL: these keys still cannot call the Invoke API directly.
  dynamic "statement" {
    for_each = length(var.lambda_function_arns) > 0 ? [1] : []
    content {
      sid       = "InvokeFunctionsOnlyThroughUrls"
      effect    = "Allow"
      actions   = ["lambda:InvokeFunction"]
      resources = var.lambda_function_arns
      condition {
        test     = "Bool"
        variable = "lambda:InvokedViaFunctionUrl"
        values   = ["true"]
      }
    }
  }

  # s3 backends read objects (GET and HEAD both need s3:GetObject). Without s3:ListBucket a
  # missing key answers 403 rather than 404; listing the bucket is deliberately not granted.
  dynamic "statement" {
    for_each = length(var.s3_bucket_names) > 0 ? [1] : []
    content {
      sid       = "ReadBucketObjects"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = [for bucket in var.s3_bucket_names : "arn:${data.aws_partition.current.partition}:s3:::${bucket}/*"]
    }
  }
}

# An inline policy: it lives and dies with the user, and nothing else can be attached to it
# by sharing a managed policy.
resource "aws_iam_user_policy" "worker" {
  name   = "cutover-worker"
  user   = aws_iam_user.worker.name
  policy = data.aws_iam_policy_document.worker.json
}
