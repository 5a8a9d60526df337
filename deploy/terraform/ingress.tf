# An Ingress fit for device streams (server-sent events): no response buffering, long
# timeouts (ingress-nginx's annotations; Traefik streams as it is), TLS.
resource "kubernetes_ingress_v1" "henged" {
  count = var.ingress_host != null ? 1 : 0
  metadata {
    name        = "henged"
    namespace   = local.namespace
    labels      = local.labels
    annotations = merge(local.sse_annotations, var.ingress_annotations)
  }
  spec {
    ingress_class_name = var.ingress_class_name
    tls {
      hosts       = [var.ingress_host]
      secret_name = var.ingress_tls_secret
    }
    rule {
      host = var.ingress_host
      http {
        path {
          path      = "/"
          path_type = "Prefix"
          backend {
            service {
              name = kubernetes_service_v1.henged.metadata[0].name
              port {
                name = "http"
              }
            }
          }
        }
      }
    }
  }
}
