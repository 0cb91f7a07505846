"""Pods (issue 15): groups of containers sharing an infra container's namespaces.

`status` is the pure rule for a pod's status from its containers'; `db` the pods' tables
beside the store's; `infra` the namespaces' holder (catatonit from a local rootfs); `ops`
the verbs over the engine; `service` kube play's service container. See docs/PODS.md.
"""

# Only a pod's infra container carries it (ops makes it so), its value the pod's id.
INFRA_LABEL = "io.scopebox.pod"
# Only a `kube play --service-container` service container carries it (pods/service.py):
# inspect's IsService.
SERVICE_LABEL = "io.scopebox.kube-service"
