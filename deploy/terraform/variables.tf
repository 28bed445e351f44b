variable "region" {
  description = "AWS region of the table; the Worker's CUTOVER_AWS_REGION must name the same one (output cutover_aws_region)."
  type        = string
  default     = "us-east-1"
}

variable "table_name" {
  description = "Name of cutover's DynamoDB table, one per environment (cutover-staging, cutover-production); the Worker's CUTOVER_DYNAMODB_TABLE. The default is `cutover init`'s."
  type        = string
  default     = "cutover"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name))
    error_message = "A DynamoDB table name is 3 to 255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "worker_user_name" {
  description = "Name of the IAM user whose access key the Worker signs with. Null: \"<table_name>-worker\", so that two environments in one account get two users."
  type        = string
  default     = null
}

variable "worker_access_keys" {
  description = "Labels of the Worker user's access keys, oldest first; the outputs show the last one. To rotate, append a label (\"1\" -> [\"1\", \"2\"]), put the new key into the Worker, then drop the old label (docs/terraform.md). IAM allows two keys per user."
  type        = list(string)
  default     = ["1"]

  validation {
    condition     = length(var.worker_access_keys) >= 1 && length(var.worker_access_keys) <= 2 && length(distinct(var.worker_access_keys)) == length(var.worker_access_keys)
    error_message = "List one or two distinct labels: IAM allows at most two access keys per user."
  }
}

variable "lambda_function_arns" {
  description = "ARNs of the Lambda functions behind the route table's aws-iam function URL backends (service \"lambda\"), qualified (\":alias\") when the URL is an alias's. Empty: the Worker may invoke no function."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.lambda_function_arns : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", arn))])
    error_message = "Each entry is one function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]), without wildcards."
  }
}

variable "s3_bucket_names" {
  description = "Names (not ARNs) of the private buckets behind the route table's s3 backends with aws-iam auth; the Worker may read their objects and nothing else. Empty: no bucket."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for bucket in var.s3_bucket_names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", bucket))])
    error_message = "Each entry is a bucket name (3 to 63 characters of a-z, 0-9, '.' and '-'), not an ARN, without wildcards."
  }
}

variable "tags" {
  description = "Tags for every resource this configuration creates."
  type        = map(string)
  default     = {}
}
