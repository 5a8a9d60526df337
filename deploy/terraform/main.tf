# henged on Kubernetes: the same objects as deploy/k8s (base for "single", overlays/ha for
# "ha"), with the settings as variables. docs/deploy.md explains each choice.

locals {
  namespace   = var.create_namespace ? kubernetes_namespace_v1.henge[0].metadata[0].name : var.namespace
  labels      = { "app.kubernetes.io/name" = "henged", "app.kubernetes.io/part-of" = "henge" }
  selector    = { "app.kubernetes.io/name" = "henged" }
  uid         = 10001 # the image's user (deploy/docker/Dockerfile)
  data_dir    = "/var/lib/henge"
  admin_token = var.admin_token != null ? var.admin_token : random_password.admin_token[0].result
  pre_stop    = var.variant == "ha" ? var.pre_stop_seconds : 0
  # Above the preStop delay, the drain and the 2 s henged allows itself past it.
  grace_seconds = local.pre_stop + var.drain_seconds + 15
  settings = merge({
    HENGE_LOG_FORMAT = "json"
    HENGE_LOG_LEVEL  = var.log_level
    HENGE_DRAIN      = tostring(var.drain_seconds)
    HENGE_KEEPALIVE  = tostring(var.keepalive_seconds)
  }, var.variant == "ha" ? { HENGE_REPLICA_LEASE = "15" } : {})
  sse_annotations = {
    "nginx.ingress.kubernetes.io/proxy-buffering"    = "off"
    "nginx.ingress.kubernetes.io/proxy-read-timeout" = "3600"
    "nginx.ingress.kubernetes.io/proxy-send-timeout" = "3600"
    "nginx.ingress.kubernetes.io/ssl-redirect"       = "true"
  }
}

resource "kubernetes_namespace_v1" "henge" {
  count = var.create_namespace ? 1 : 0
  metadata {
    name = var.namespace
  }
}

resource "random_password" "admin_token" {
  count   = var.admin_token == null ? 1 : 0
  length  = 48
  special = false
}

resource "kubernetes_config_map_v1" "settings" {
  metadata {
    name      = "henge-config"
    namespace = local.namespace
    labels    = local.labels
  }
  data = local.settings
}

resource "kubernetes_secret_v1" "admin" {
  metadata {
    name      = "henge-admin"
    namespace = local.namespace
    labels    = local.labels
  }
  data = {
    token = local.admin_token
  }
}

resource "kubernetes_service_v1" "henged" {
  metadata {
    name      = "henged"
    namespace = local.namespace
    labels    = local.labels
  }
  spec {
    type     = "ClusterIP"
    selector = local.selector
    port {
      name        = "http"
      port        = 80
      target_port = "http"
    }
  }
}
