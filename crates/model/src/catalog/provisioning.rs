//! Times outside the scheduler: how long a new AKS node takes from scale-up to Ready, and
//! how long a container takes to start once its image is on the node.
//!
//! Linux node provisioning is fitted to the AKS team's scale-out benchmark percentiles
//! (docs/calibration.md); no measured AKS Windows figure exists, so Windows node and
//! container-start times are approximations with the ranges the data points support,
//! marked `[U]`. Scenarios override node times with
//! `cluster.autoscaler.{linux,windows}ProvisionTime`.

use crate::scenario::Os;
use crate::units::Duration;

use super::estimate::{Dist, Estimate};

/// Linux node, scale-out request to Ready: log-normal, median 108 s, sigma 0.37 (5th-95th
/// percentile 59-198 s), fitted by least squares in log space to the AKS team's benchmark
/// of 50-node manual scale-outs of Standard_D8ds_v5 (Azure/AKS-Performance-and-Scale
/// `Perf-Benchmarks/AKS-Perf-Benchmarks.md`: P50/P90/P95/P99 = 100/135/160/261 s,
/// 2024-01-15, and 116/161/199/347 s, 2023-11-06; median = geometric mean of the P50s).
/// The benchmark times the whole batch (until all 53 nodes are Ready), so a single node is
/// at most this slow `[U]`.
pub const LINUX_NODE_READY: Estimate<Duration> = Estimate {
    default: Duration::secs(108),
    low: Duration::secs(59),
    high: Duration::secs(198),
    dist: Dist::LogNormal { sigma_milli: 370 },
    source: "fitted: Azure/AKS-Performance-and-Scale Perf-Benchmarks/AKS-Perf-Benchmarks.md \
             (2023-11-06, 2024-01-15)",
};

/// Windows node: about 7 min (5-10 min) `[U]`: no measured AKS Windows provisioning time
/// is published; Windows nodes are consistently slower to reach Ready (EKS Windows ~5 min
/// on m5a.xlarge vs ~30 s Linux, hackernoon "EKS Windows node start time", 2024-06-08;
/// CAPI raised its Windows node timeout 5 -> 15 min, Azure/azure-capi-cli-extension#162,
/// 2022; Azure/AKS#1898, 2020: 5-15 min per node).
pub const WINDOWS_NODE_READY: Estimate<Duration> = Estimate {
    default: Duration::mins(7),
    low: Duration::mins(5),
    high: Duration::mins(10),
    dist: Dist::Range,
    source: "[U]: no AKS measurement; hackernoon EKS Windows node start (2024-06-08); \
             Azure/azure-capi-cli-extension#162 (2022); Azure/AKS#1898 (2020)",
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
    dist: Dist::Range,
    source: "[U] kubernetes/community slos.md (pod startup p99 <= 5 s excluding pulls)",
};

/// Windows process-isolated container start, image present: about 5 s (3-8 s) `[U]`:
/// nanoserver SDK `cmd /c exit` ~3 s, servercore 5 s after the first run
/// (Windows-Containers#478, 2024); `powershell echo 1` in runtime:4.8 3.8-6.8 s
/// (PowerShell team blog, 2019).
pub const WINDOWS_CONTAINER_START: Estimate<Duration> = Estimate {
    default: Duration::secs(5),
    low: Duration::secs(3),
    high: Duration::secs(8),
    dist: Dist::Range,
    source: "[U]: Windows-Containers#478; devblogs PowerShell container images (2019)",
};

/// Container start overhead for a node of `os`, before the app's own startup.
pub fn container_start(os: Os) -> &'static Estimate<Duration> {
    match os {
        Os::Linux => &LINUX_CONTAINER_START,
        Os::Windows => &WINDOWS_CONTAINER_START,
    }
}

/// IIS up (ServiceMonitor + W3SVC) after a servercore/iis container starts: 3-10 s `[U]`
/// (no measurement found). A reference value for scenario `startup` fields, not applied
/// automatically.
pub const IIS_START: Estimate<Duration> = Estimate {
    default: Duration::secs(5),
    low: Duration::secs(3),
    high: Duration::secs(10),
    dist: Dist::Range,
    source: "[U]: no measurement found; estimate",
};

/// First ASP.NET 4.x request of a mid-size MVC app (app-domain start, view compilation,
/// JIT): 5-30 s, 1-5 s when precompiled and NGEN'd `[U]` (dotnet-framework-docker#25, #29). A reference value
/// for scenario `startup` fields, not applied automatically.
pub const ASPNET_FIRST_REQUEST: Estimate<Duration> = Estimate {
    default: Duration::secs(15),
    low: Duration::secs(5),
    high: Duration::secs(30),
    dist: Dist::Range,
    source: "[U]: dotnet-framework-docker#25, #29; aspnetcore#18507 (proxies)",
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The fitted Linux distribution reproduces each benchmark percentile within 40%.
    #[test]
    fn linux_provisioning_fits_the_benchmark_percentiles() {
        let Dist::LogNormal { sigma_milli } = LINUX_NODE_READY.dist else {
            panic!("fitted")
        };
        let sigma = f64::from(sigma_milli) / 1000.0;
        let median = LINUX_NODE_READY.default.as_ms() as f64 / 1000.0;
        for (z, measured) in [
            (0.0, 100.2),
            (0.0, 116.4),
            (1.2816, 135.0),
            (1.2816, 160.8),
            (1.6449, 160.2),
            (1.6449, 199.2),
            (2.3263, 261.0),
            (2.3263, 346.8),
        ] {
            let p = super::super::lognormal_quantile(median, sigma, z);
            let r = p / measured;
            assert!((0.71..1.4).contains(&r), "z {z}: {p} vs {measured}");
        }
        let p95 = super::super::lognormal_quantile(median, sigma, 1.6449);
        assert_eq!(LINUX_NODE_READY.high.as_ms() / 1000, p95 as u64);
    }

    #[test]
    fn windows_is_slower_and_defaults_lie_in_their_ranges() {
        assert_eq!(node_ready_time(Os::Linux).default, Duration::secs(108));
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
                e.source.contains("[U]") || e.source.starts_with("fitted"),
                "approximations are marked: {}",
                e.source
            );
        }
    }
}
