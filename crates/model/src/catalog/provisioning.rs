//! Times outside the scheduler: how long a new AKS node takes from scale-up to Ready, and
//! how long a container takes to start once its image is on the node.
//!
//! No official per-OS figure exists for either; these are approximations with the ranges
//! the data points support (`shared/data/facts.md` §7, `io-costs.md` §4), marked `[U]`.
//! Scenarios override node times with `cluster.autoscaler.{linux,windows}ProvisionTime`.

use crate::scenario::Os;
use crate::units::Duration;

use super::estimate::Estimate;

/// Linux node: VM create + boot + kubelet Ready, about 3 min (2-4 min) `[U]`.
pub const LINUX_NODE_READY: Estimate<Duration> = Estimate {
    default: Duration::mins(3),
    low: Duration::mins(2),
    high: Duration::mins(4),
    source: "facts.md §7 [U]: autoscaling adds 3-7 min before a pod starts \
             (ANZAzureDevs/New-Breakpoint#37, 2024); AKS Automatic SLA: pod readiness incl. \
             node provisioning within 5 min (intro-aks-automatic.md)",
};

/// Windows node: about 7 min (5-10 min) `[U]`; Windows nodes are consistently slower to
/// reach Ready.
pub const WINDOWS_NODE_READY: Estimate<Duration> = Estimate {
    default: Duration::mins(7),
    low: Duration::mins(5),
    high: Duration::mins(10),
    source: "facts.md §7 [U]: CAPI raised its Windows node timeout 5 -> 15 min \
             (Azure/azure-capi-cli-extension#162, 2022); Azure/AKS#1898 (2020: 5-15 min per \
             node plus ~5 min NotReady -> Ready)",
};

/// Scale-up to Ready for a node of `os`.
pub fn node_ready_time(os: Os) -> &'static Estimate<Duration> {
    match os {
        Os::Linux => &LINUX_NODE_READY,
        Os::Windows => &WINDOWS_NODE_READY,
    }
}

/// Linux container start (sandbox + runc + process), image present: about 1 s (0.5-2 s)
/// `[U]`; the Kubernetes SLO puts stateless pod startup, pulls excluded, at p99 <= 5 s
/// (kubernetes/community `sig-scalability/slos/slos.md`).
pub const LINUX_CONTAINER_START: Estimate<Duration> = Estimate {
    default: Duration::secs(1),
    low: Duration::ms(500),
    high: Duration::secs(2),
    source: "[U] kubernetes/community slos.md (pod startup p99 <= 5 s excluding pulls)",
};

/// Windows process-isolated container start, image present: about 5 s (3-8 s) `[U]`:
/// nanoserver SDK `cmd /c exit` ~3 s, servercore 5 s after the first run
/// (Windows-Containers#478, 2024); `powershell echo 1` in runtime:4.8 3.8-6.8 s
/// (PowerShell team blog, 2019) (io-costs.md §4).
pub const WINDOWS_CONTAINER_START: Estimate<Duration> = Estimate {
    default: Duration::secs(5),
    low: Duration::secs(3),
    high: Duration::secs(8),
    source:
        "io-costs.md §4 [U]: Windows-Containers#478; devblogs PowerShell container images (2019)",
};

/// Container start overhead for a node of `os`, before the app's own startup.
pub fn container_start(os: Os) -> &'static Estimate<Duration> {
    match os {
        Os::Linux => &LINUX_CONTAINER_START,
        Os::Windows => &WINDOWS_CONTAINER_START,
    }
}

/// IIS up (ServiceMonitor + W3SVC) after a servercore/iis container starts: 3-10 s `[U]`
/// (io-costs.md §4). A reference value for scenario `startup` fields, not applied
/// automatically.
pub const IIS_START: Estimate<Duration> = Estimate {
    default: Duration::secs(5),
    low: Duration::secs(3),
    high: Duration::secs(10),
    source: "io-costs.md §4 [U]: no measurement found; estimate",
};

/// First ASP.NET 4.x request of a mid-size MVC app (app-domain start, view compilation,
/// JIT): 5-30 s, 1-5 s when precompiled and NGEN'd `[U]` (io-costs.md §4). A reference value
/// for scenario `startup` fields, not applied automatically.
pub const ASPNET_FIRST_REQUEST: Estimate<Duration> = Estimate {
    default: Duration::secs(15),
    low: Duration::secs(5),
    high: Duration::secs(30),
    source: "io-costs.md §4 [U]: dotnet-framework-docker#25, #29; aspnetcore#18507 (proxies)",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_is_slower_and_defaults_lie_in_their_ranges() {
        assert_eq!(node_ready_time(Os::Linux).default, Duration::mins(3));
        assert_eq!(node_ready_time(Os::Windows).default, Duration::mins(7));
        assert!(node_ready_time(Os::Windows).low > node_ready_time(Os::Linux).default);
        assert!(container_start(Os::Windows).default > container_start(Os::Linux).default);
        for e in [
            LINUX_NODE_READY,
            WINDOWS_NODE_READY,
            LINUX_CONTAINER_START,
            WINDOWS_CONTAINER_START,
            IIS_START,
            ASPNET_FIRST_REQUEST,
        ] {
            assert!(e.contains(e.default), "{}", e.source);
            assert!(
                e.source.contains("[U]"),
                "approximations are marked: {}",
                e.source
            );
        }
    }
}
