# What the Worker is configured with (docs/terraform.md). The table and region are plain
# [vars] in wrangler.toml; the key pair goes in as secrets.

output "cutover_dynamodb_table" {
  description = "The Worker's CUTOVER_DYNAMODB_TABLE (wrangler.toml, [env.<name>.vars])."
  value       = aws_dynamodb_table.cutover.name
}

output "cutover_aws_region" {
  description = "The Worker's CUTOVER_AWS_REGION (wrangler.toml, [env.<name>.vars])."
  value       = var.region
}

output "worker_access_key_id" {
  description = "The Worker's AWS_ACCESS_KEY_ID secret: the newest of worker_access_keys."
  value       = aws_iam_access_key.worker[local.current_access_key].id
}

output "worker_secret_access_key" {
  description = "The Worker's AWS_SECRET_ACCESS_KEY secret, paired with worker_access_key_id."
  value       = aws_iam_access_key.worker[local.current_access_key].secret
  sensitive   = true
}

output "worker_secrets_json" {
  description = "Both secrets as one JSON object for `wrangler secret bulk`, which sets them in one Worker version, so no request sees a new key id with the old secret."
  value = jsonencode({
    AWS_ACCESS_KEY_ID     = aws_iam_access_key.worker[local.current_access_key].id
    AWS_SECRET_ACCESS_KEY = aws_iam_access_key.worker[local.current_access_key].secret
  })
  sensitive = true
}
