//! Which check runs at which level and version, as PSA's registry composes them
//! (policy/registry.go): restricted = baseline + restricted checks, minus the baseline checks
//! a restricted check overrides at that version; a check runs from its first version; Windows
//! pods and pods in a user namespace are relaxed from some checks.

use k8s_openapi::api::core::v1::PodSpec;

use crate::policy::Level;

/// The PSA checks, declared in the order PSA aggregates failures: baseline ids by byte order,
/// then restricted ids by byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CheckId {
    AppArmorProfile,
    CapabilitiesBaseline,
    HostNamespaces,
    HostPathVolumes,
    HostPorts,
    HostProbesAndHostLifecycle,
    Privileged,
    ProcMount,
    SeLinuxOptions,
    SeccompProfileBaseline,
    Sysctls,
    WindowsHostProcess,
    AllowPrivilegeEscalation,
    CapabilitiesRestricted,
    ProcMountRestricted,
    RestrictedVolumes,
    RunAsNonRoot,
    RunAsUser,
    SeccompProfileRestricted,
}

use CheckId::*;

impl CheckId {
    pub const ALL: [CheckId; 19] = [
        AppArmorProfile,
        CapabilitiesBaseline,
        HostNamespaces,
        HostPathVolumes,
        HostPorts,
        HostProbesAndHostLifecycle,
        Privileged,
        ProcMount,
        SeLinuxOptions,
        SeccompProfileBaseline,
        Sysctls,
        WindowsHostProcess,
        AllowPrivilegeEscalation,
        CapabilitiesRestricted,
        ProcMountRestricted,
        RestrictedVolumes,
        RunAsNonRoot,
        RunAsUser,
        SeccompProfileRestricted,
    ];

    /// The id PSA uses in its code and fixture names.
    pub fn psa_id(self) -> &'static str {
        match self {
            AppArmorProfile => "appArmorProfile",
            CapabilitiesBaseline => "capabilities_baseline",
            HostNamespaces => "hostNamespaces",
            HostPathVolumes => "hostPathVolumes",
            HostPorts => "hostPorts",
            HostProbesAndHostLifecycle => "hostProbesAndHostLifecycle",
            Privileged => "privileged",
            ProcMount => "procMount",
            SeLinuxOptions => "seLinuxOptions",
            SeccompProfileBaseline => "seccompProfile_baseline",
            Sysctls => "sysctls",
            WindowsHostProcess => "windowsHostProcess",
            AllowPrivilegeEscalation => "allowPrivilegeEscalation",
            CapabilitiesRestricted => "capabilities_restricted",
            ProcMountRestricted => "procMount_restricted",
            RestrictedVolumes => "restrictedVolumes",
            RunAsNonRoot => "runAsNonRoot",
            RunAsUser => "runAsUser",
            SeccompProfileRestricted => "seccompProfile_restricted",
        }
    }

    /// The kubenudge rule id: `pod-security/` and the PSA name in kebab case.
    pub fn rule_id(self) -> &'static str {
        match self {
            AppArmorProfile => "pod-security/app-armor-profile",
            CapabilitiesBaseline => "pod-security/capabilities-baseline",
            HostNamespaces => "pod-security/host-namespaces",
            HostPathVolumes => "pod-security/host-path-volumes",
            HostPorts => "pod-security/host-ports",
            HostProbesAndHostLifecycle => "pod-security/host-probes-and-host-lifecycle",
            Privileged => "pod-security/privileged",
            ProcMount => "pod-security/proc-mount",
            SeLinuxOptions => "pod-security/se-linux-options",
            SeccompProfileBaseline => "pod-security/seccomp-profile-baseline",
            Sysctls => "pod-security/sysctls",
            WindowsHostProcess => "pod-security/windows-host-process",
            AllowPrivilegeEscalation => "pod-security/allow-privilege-escalation",
            CapabilitiesRestricted => "pod-security/capabilities-restricted",
            ProcMountRestricted => "pod-security/proc-mount-restricted",
            RestrictedVolumes => "pod-security/restricted-volumes",
            RunAsNonRoot => "pod-security/run-as-non-root",
            RunAsUser => "pod-security/run-as-user",
            SeccompProfileRestricted => "pod-security/seccomp-profile-restricted",
        }
    }

    /// The lowest level the check belongs to.
    pub fn level(self) -> Level {
        match self {
            AllowPrivilegeEscalation
            | CapabilitiesRestricted
            | ProcMountRestricted
            | RestrictedVolumes
            | RunAsNonRoot
            | RunAsUser
            | SeccompProfileRestricted => Level::Restricted,
            _ => Level::Baseline,
        }
    }

    /// The first policy version (`v1.N`) the check exists in.
    pub fn first_minor(self) -> u32 {
        match self {
            AllowPrivilegeEscalation => 8,
            SeccompProfileRestricted => 19,
            CapabilitiesRestricted => 22,
            RunAsUser => 23,
            HostProbesAndHostLifecycle => 34,
            ProcMountRestricted => 35,
            _ => 0,
        }
    }

    /// The baseline check this restricted check replaces at the restricted level, from the
    /// restricted check's first version on.
    pub fn overrides(self) -> Option<CheckId> {
        match self {
            RestrictedVolumes => Some(HostPathVolumes),
            SeccompProfileRestricted => Some(SeccompProfileBaseline),
            CapabilitiesRestricted => Some(CapabilitiesBaseline),
            ProcMountRestricted => Some(ProcMount),
            _ => None,
        }
    }

    /// True when PSA runs this check at `level` and version `v1.minor`.
    pub fn applies(self, level: Level, minor: u32) -> bool {
        let in_level = match level {
            Level::Privileged => false,
            Level::Baseline => self.level() == Level::Baseline,
            Level::Restricted => true,
        };
        if !in_level || minor < self.first_minor() {
            return false;
        }
        let overridden = level == Level::Restricted
            && CheckId::ALL
                .iter()
                .any(|r| r.overrides() == Some(self) && minor >= r.first_minor());
        !overridden
    }

    /// True when the pod is relaxed from this check at version `v1.minor`:
    /// - Windows pods (`spec.os.name: windows`) from v1.25 for allowPrivilegeEscalation,
    ///   capabilities and seccomp, which do not exist on Windows;
    /// - pods in a user namespace (`spec.hostUsers: false`) from v1.35 for procMount,
    ///   runAsNonRoot and runAsUser, since root in the pod is not root on the node.
    pub fn exempt(self, spec: &PodSpec, minor: u32) -> bool {
        match self {
            AllowPrivilegeEscalation | CapabilitiesRestricted | SeccompProfileRestricted => {
                minor >= 25 && spec.os.as_ref().is_some_and(|os| os.name == "windows")
            }
            ProcMount | RunAsNonRoot | RunAsUser => minor >= 35 && spec.host_users == Some(false),
            _ => false,
        }
    }
}
