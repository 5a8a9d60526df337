output "namespace" {
  description = "Namespace henged runs in."
  value       = local.namespace
}

output "service_url" {
  description = "henged's URL inside the cluster."
  value       = "http://${kubernetes_service_v1.henged.metadata[0].name}.${local.namespace}.svc.cluster.local"
}

output "url" {
  description = "henged's URL for devices and operators: the Ingress's when there is one, else the in-cluster one."
  value       = var.ingress_host != null ? "https://${var.ingress_host}" : "http://${kubernetes_service_v1.henged.metadata[0].name}.${local.namespace}.svc.cluster.local"
}

output "admin_token" {
  description = "The admin token (given or generated)."
  value       = local.admin_token
  sensitive   = true
}
