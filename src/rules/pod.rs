//! Walking the containers of a pod template in PSA's order: init, regular, ephemeral.

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EphemeralContainer, Lifecycle, Probe, SecurityContext,
};

use crate::manifest::{FieldPath, PodTemplateRef};

/// One container of any of the three lists.
#[derive(Debug, Clone, Copy)]
pub enum AnyContainer<'a> {
    Container(&'a Container),
    Ephemeral(&'a EphemeralContainer),
}

#[derive(Debug, Clone)]
pub struct ContainerRef<'a> {
    pub container: AnyContainer<'a>,
    /// Path from the object root, e.g. `spec.template.spec.initContainers[0]`.
    pub path: FieldPath,
}

impl<'a> ContainerRef<'a> {
    pub fn name(&self) -> &'a str {
        match self.container {
            AnyContainer::Container(c) => &c.name,
            AnyContainer::Ephemeral(c) => &c.name,
        }
    }

    pub fn security_context(&self) -> Option<&'a SecurityContext> {
        match self.container {
            AnyContainer::Container(c) => c.security_context.as_ref(),
            AnyContainer::Ephemeral(c) => c.security_context.as_ref(),
        }
    }

    pub fn ports(&self) -> &'a [ContainerPort] {
        match self.container {
            AnyContainer::Container(c) => c.ports.as_deref().unwrap_or(&[]),
            AnyContainer::Ephemeral(c) => c.ports.as_deref().unwrap_or(&[]),
        }
    }

    /// Liveness, readiness and startup probes, in that order, with their field names.
    pub fn probes(&self) -> [(&'static str, Option<&'a Probe>); 3] {
        match self.container {
            AnyContainer::Container(c) => [
                ("livenessProbe", c.liveness_probe.as_ref()),
                ("readinessProbe", c.readiness_probe.as_ref()),
                ("startupProbe", c.startup_probe.as_ref()),
            ],
            AnyContainer::Ephemeral(c) => [
                ("livenessProbe", c.liveness_probe.as_ref()),
                ("readinessProbe", c.readiness_probe.as_ref()),
                ("startupProbe", c.startup_probe.as_ref()),
            ],
        }
    }

    pub fn lifecycle(&self) -> Option<&'a Lifecycle> {
        match self.container {
            AnyContainer::Container(c) => c.lifecycle.as_ref(),
            AnyContainer::Ephemeral(c) => c.lifecycle.as_ref(),
        }
    }

    /// Path of a field under this container's `securityContext`.
    pub fn security_context_path(&self) -> FieldPath {
        self.path.clone().key("securityContext")
    }
}

/// Every container of the template: `initContainers`, then `containers`, then
/// `ephemeralContainers`, as PSA visits them.
pub fn containers<'a>(template: &PodTemplateRef<'a>) -> Vec<ContainerRef<'a>> {
    let spec = template.spec;
    let base = template.spec_path();
    let mut out = Vec::new();
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        out.push(ContainerRef {
            container: AnyContainer::Container(c),
            path: base.clone().key("initContainers").index(i),
        });
    }
    for (i, c) in spec.containers.iter().enumerate() {
        out.push(ContainerRef {
            container: AnyContainer::Container(c),
            path: base.clone().key("containers").index(i),
        });
    }
    for (i, c) in spec.ephemeral_containers.iter().flatten().enumerate() {
        out.push(ContainerRef {
            container: AnyContainer::Ephemeral(c),
            path: base.clone().key("ephemeralContainers").index(i),
        });
    }
    out
}
