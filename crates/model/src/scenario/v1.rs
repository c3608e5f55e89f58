//! The `poolcast/v1` scenario schema: the serde boundary between files and the engine.
//!
//! Every struct denies unknown fields, so a typo (`replica:`) is an error, not silence.
//! Field names follow Kubernetes' own spelling (camelCase, `nodeSelector`,
//! `requiredDuringSchedulingIgnoredDuringExecution`) so manifests translate one to one;
//! short aliases (`required`, `preferred`) are accepted where DESIGN.md uses them.
//! These types carry no behaviour beyond small accessors; checks live in `validate`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::units::{Bandwidth, Bytes, Cpu, Duration, Percent};

/// The `apiVersion` every scenario declares.
pub const API_VERSION: &str = "poolcast/v1";
/// The `kind` every scenario declares.
pub const KIND: &str = "Scenario";

/// A whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Scenario {
    /// Must be `poolcast/v1`.
    pub api_version: String,
    /// Must be `Scenario`.
    pub kind: String,
    /// Name and description.
    pub metadata: Metadata,
    /// Cluster-wide settings.
    pub cluster: Cluster,
    /// Node pools.
    pub pools: Vec<Pool>,
    /// Container images the workloads use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
    /// Registry bandwidth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<Registry>,
    /// PriorityClass objects (the built-in `system-node-critical` and
    /// `system-cluster-critical` always exist).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priority_classes: Vec<PriorityClass>,
    /// PodDisruptionBudgets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disruption_budgets: Vec<DisruptionBudget>,
    /// Workloads to run.
    #[serde(default)]
    pub workloads: Vec<Workload>,
    /// Things that happen during the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Event>,
    /// What a run must achieve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
    /// Seed, horizon, replications.
    #[serde(default)]
    pub sim: SimSettings,
}

/// `metadata`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metadata {
    /// Scenario name.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Cloud provider: `aks` applies AKS reservations, system pods, node-image caches and rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Azure Kubernetes Service.
    #[default]
    Aks,
    /// Any cluster: no AKS rules, reservations only as given.
    Generic,
}

/// AKS network plugin modes (`az aks create --network-plugin ... --network-plugin-mode ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkPlugin {
    /// Azure CNI Overlay (default maxPods 250).
    #[default]
    AzureCniOverlay,
    /// Azure CNI with dynamic pod subnet (default maxPods 110).
    AzureCniPodSubnet,
    /// Azure CNI node subnet, legacy (default maxPods 30).
    AzureCniNodeSubnet,
    /// kubenet (default maxPods 110; no Windows).
    Kubenet,
    /// Azure CNI Powered by Cilium (overlay; Linux only dataplane).
    AzureCniCilium,
}

/// `cluster`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cluster {
    /// `aks` (default) or `generic`.
    #[serde(default)]
    pub provider: Provider,
    /// `MAJOR.MINOR`, e.g. "1.33".
    pub kubernetes_version: String,
    /// Azure region; selects prices. Default `eastus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Network plugin.
    #[serde(default)]
    pub network_plugin: NetworkPlugin,
    /// AKS add-ons that add system pods (`monitoring`, `managed-prometheus`,
    /// `azure-keyvault-secrets-provider`, `defender`, `azure-policy`, `workload-identity`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addons: Vec<String>,
    /// `aks` (default for provider aks) puts AKS's own system pods on nodes; `none` turns
    /// them off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_pods: Option<SystemPods>,
    /// Scheduler profile overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<SchedulerConfig>,
    /// Kubelet settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet: Option<KubeletConfig>,
    /// Cluster-autoscaler profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<AutoscalerConfig>,
    /// AKS pricing tier of the cluster management (`free`, the default; `standard`;
    /// `premium`): a fee per cluster-hour on top of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<AksTier>,
    /// Price adjustments to the list prices: negotiated discount, reservation or savings
    /// plan rate, Azure Hybrid Benefit for every Windows pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

/// AKS cluster-management pricing tier (`free-standard-pricing-tiers.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AksTier {
    /// No fee, no financially backed SLA.
    #[default]
    Free,
    /// Uptime SLA.
    Standard,
    /// Standard plus long-term support.
    Premium,
}

/// `cluster.pricing`: how the list prices become what the organisation pays.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pricing {
    /// Discount off every list price (EA/MCA negotiated), percent, 0-100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<f64>,
    /// A reservation or savings plan covering the nodes' compute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<Commitment>,
    /// Azure Hybrid Benefit on every Windows pool (Windows nodes at the Linux rate), as if
    /// each pool set `azureHybridBenefit`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub azure_hybrid_benefit: bool,
}

/// A compute commitment: the share of the pay-as-you-go VM price that is paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Commitment {
    /// `reservation` or `savingsPlan`.
    pub kind: CommitmentKind,
    /// `1y` or `3y`.
    pub term: CommitmentTerm,
    /// Percent of the pay-as-you-go compute price paid under it, 0-100 (e.g. 62 for a 38%
    /// saving); Azure quotes it per size and region (pricing calculator).
    pub rate_percent: f64,
}

/// Kind of compute commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CommitmentKind {
    /// Azure Reserved VM Instances.
    Reservation,
    /// Azure savings plan for compute.
    SavingsPlan,
}

/// Term of a compute commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommitmentTerm {
    /// One year.
    #[serde(rename = "1y")]
    OneYear,
    /// Three years.
    #[serde(rename = "3y")]
    ThreeYears,
}

/// Whether AKS system pods are modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemPods {
    /// AKS's DaemonSets and system Deployments from the catalog.
    Aks,
    /// None.
    None,
}

/// Node scoring strategy of `NodeResourcesFit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ScoringStrategy {
    /// Prefer emptier nodes (kube-scheduler default).
    #[default]
    LeastAllocated,
    /// Prefer fuller nodes (bin packing).
    MostAllocated,
}

/// `cluster.scheduler`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SchedulerConfig {
    /// NodeResourcesFit strategy.
    #[serde(default)]
    pub scoring: ScoringStrategy,
    /// Score plugin weights by kube-scheduler plugin name (`ImageLocality: 1`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, i64>,
    /// `percentageOfNodesToScore`; absent or 0 = adaptive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage_of_nodes_to_score: Option<u32>,
    /// Initial pod backoff (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_initial_backoff: Option<Duration>,
    /// Maximum pod backoff (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_max_backoff: Option<Duration>,
}

/// `cluster.kubelet`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeletConfig {
    /// Pull one image at a time. Default: true before AKS 1.31, false from 1.31.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialize_image_pulls: Option<bool>,
    /// Limit of parallel pulls when not serialized (absent = unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_parallel_image_pulls: Option<u32>,
    /// Image GC high threshold percent (default 85).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_gc_high_threshold_percent: Option<u32>,
    /// Image GC low threshold percent (default 80).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_gc_low_threshold_percent: Option<u32>,
}

/// Autoscaler expander.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expander {
    /// AKS default.
    Random,
    /// Least idle CPU/memory after scale-up (upstream default).
    LeastWaste,
    /// Most pending pods scheduled.
    MostPods,
    /// Pool priority order (`priorities`).
    Priority,
    /// Cheapest node.
    Price,
}

/// `cluster.autoscaler` (AKS cluster-autoscaler profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoscalerConfig {
    /// Expander, default `random` on AKS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expander: Option<Expander>,
    /// Pool names in priority order for the `priority` expander.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<String>,
    /// scan-interval (10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_interval: Option<Duration>,
    /// scale-down-unneeded-time (10m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_unneeded_time: Option<Duration>,
    /// scale-down-delay-after-add (10m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_after_add: Option<Duration>,
    /// scale-down-utilization-threshold (50%).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_utilization_threshold: Option<Percent>,
    /// max-node-provision-time (15m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_node_provision_time: Option<Duration>,
    /// Linux node boot-to-Ready time override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linux_provision_time: Option<Duration>,
    /// Windows node boot-to-Ready time override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub windows_provision_time: Option<Duration>,
}

/// Node OS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Linux.
    Linux,
    /// Windows.
    Windows,
}

impl Os {
    /// The `kubernetes.io/os` label value.
    pub fn label(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Windows => "windows",
        }
    }
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// AKS `--os-sku`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OsSku {
    /// Ubuntu (Linux default).
    Ubuntu,
    /// Azure Linux.
    AzureLinux,
    /// Windows Server 2019 (build 17763).
    Windows2019,
    /// Windows Server 2022 (build 20348).
    Windows2022,
    /// Windows Server 2025 (build 26100).
    Windows2025,
}

impl OsSku {
    /// The OS family.
    pub fn os(self) -> Os {
        match self {
            OsSku::Ubuntu | OsSku::AzureLinux => Os::Linux,
            _ => Os::Windows,
        }
    }
    /// The Windows build number (`10.0.<build>`), for Windows SKUs.
    pub fn windows_build(self) -> Option<u32> {
        match self {
            OsSku::Windows2019 => Some(17763),
            OsSku::Windows2022 => Some(20348),
            OsSku::Windows2025 => Some(26100),
            _ => None,
        }
    }
}

/// Pool mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PoolMode {
    /// Hosts AKS system pods; must be Linux.
    System,
    /// User workloads.
    #[default]
    User,
}

/// A VM size given inline, for non-catalog or non-Azure machines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InlineVmSize {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// vCPUs.
    pub cpu: Cpu,
    /// Nominal memory.
    pub memory: Bytes,
    /// Price per node-hour in USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_per_hour: Option<f64>,
    /// Temp (resource) disk size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temp_disk: Option<Bytes>,
}

/// `{min, max}`, both optional and inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bounds<T> {
    /// Smallest accepted value.
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub min: Option<T>,
    /// Largest accepted value.
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    pub max: Option<T>,
}

impl<T: PartialOrd + Copy> Bounds<T> {
    /// Whether `v` is within the bounds.
    pub fn contains(&self, v: T) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }
}

/// `vmSize: auto` or a requirement object: which catalog sizes `plan` may choose from for
/// a pool, Karpenter-style (every size of the region that meets all of them and AKS's
/// rules for the pool). Empty = `auto`: every eligible x86-64 size without GPUs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VmRequirements {
    /// Series (`Dsv5`, `Easv5`) or family letters (`D`, `E`, `F`, `NC`); any of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<String>,
    /// vCPUs per node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpu: Option<Bounds<u32>>,
    /// Nominal memory per node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bounds<Bytes>>,
    /// Nominal memory per vCPU (`{min: 8Gi}` for memory-optimised sizes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_per_vcpu: Option<Bounds<Bytes>>,
    /// CPU architecture (`amd64`, `arm64`); default amd64.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<crate::catalog::Arch>,
    /// Only sizes that take Premium SSD disks (`true`) or only those that do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub premium_storage: Option<bool>,
    /// Only sizes that support an ephemeral OS disk (`true`) or only those that do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_os_disk: Option<bool>,
    /// GPUs per node; default exactly 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<Bounds<u32>>,
    /// Sizes or series never to propose (`Standard_D2s_v3`, `Bsv2`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// `vmSize`: a catalog name, a list of candidate names (for `plan`), an inline size, or
/// `auto` / a requirement object (every catalog size that meets it).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum VmSize {
    /// `Standard_D4s_v5`.
    Named(String),
    /// Candidates for `plan`; `run` uses the first.
    Candidates(Vec<String>),
    /// Inline description.
    Inline(InlineVmSize),
    /// `auto` or requirements: `plan` searches every matching size; `run` uses the
    /// cheapest one.
    Auto(VmRequirements),
}

impl VmSize {
    /// The size `run` uses: the named size, or the first candidate.
    pub fn primary_name(&self) -> Option<&str> {
        match self {
            VmSize::Named(n) => Some(n),
            VmSize::Candidates(c) => c.first().map(String::as_str),
            VmSize::Inline(i) => i.name.as_deref(),
            VmSize::Auto(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for VmSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = VmSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a VM size name (Standard_D4s_v5), a list of names, auto, requirements {families, vcpu, memory, ...}, or {cpu, memory, pricePerHour}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<VmSize, E> {
                if v == "auto" {
                    return Ok(VmSize::Auto(VmRequirements::default()));
                }
                Ok(VmSize::Named(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<VmSize, A::Error> {
                Vec::<String>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(VmSize::Candidates)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<VmSize, A::Error> {
                // One struct with the fields of both forms keeps every error located at
                // its field; an inline size names its capacity (`cpu`).
                let m = VmSizeMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                m.into_vm_size()
            }
        }
        d.deserialize_any(V)
    }
}

/// `memory` in a `vmSize` map: a quantity (inline size) or `{min, max}` (requirements).
#[derive(Debug, Clone, Copy, PartialEq)]
enum MemoryField {
    Exact(Bytes),
    Range(Bounds<Bytes>),
}

impl<'de> Deserialize<'de> for MemoryField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MemoryField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a memory quantity (8Gi) or a range {min, max}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MemoryField, E> {
                Bytes::deserialize(de::value::StrDeserializer::<E>::new(v)).map(MemoryField::Exact)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<MemoryField, E> {
                Bytes::deserialize(de::value::U64Deserializer::<E>::new(v)).map(MemoryField::Exact)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<MemoryField, E> {
                Bytes::deserialize(de::value::I64Deserializer::<E>::new(v)).map(MemoryField::Exact)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MemoryField, A::Error> {
                Bounds::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(MemoryField::Range)
            }
        }
        d.deserialize_any(V)
    }
}

/// Every field a `vmSize` map may hold, inline size and requirements together.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VmSizeMap {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    cpu: Option<Cpu>,
    #[serde(default)]
    memory: Option<MemoryField>,
    #[serde(default)]
    price_per_hour: Option<f64>,
    #[serde(default)]
    temp_disk: Option<Bytes>,
    #[serde(default)]
    families: Vec<String>,
    #[serde(default)]
    vcpu: Option<Bounds<u32>>,
    #[serde(default)]
    memory_per_vcpu: Option<Bounds<Bytes>>,
    #[serde(default)]
    arch: Option<crate::catalog::Arch>,
    #[serde(default)]
    premium_storage: Option<bool>,
    #[serde(default)]
    ephemeral_os_disk: Option<bool>,
    #[serde(default)]
    gpus: Option<Bounds<u32>>,
    #[serde(default)]
    exclude: Vec<String>,
}

impl VmSizeMap {
    fn into_vm_size<E: de::Error>(self) -> Result<VmSize, E> {
        let inline = self.cpu.is_some()
            || self.name.is_some()
            || self.price_per_hour.is_some()
            || self.temp_disk.is_some()
            || matches!(self.memory, Some(MemoryField::Exact(_)));
        let req = self.families.is_empty()
            && self.vcpu.is_none()
            && self.memory_per_vcpu.is_none()
            && self.arch.is_none()
            && self.premium_storage.is_none()
            && self.ephemeral_os_disk.is_none()
            && self.gpus.is_none()
            && self.exclude.is_empty()
            && !matches!(self.memory, Some(MemoryField::Range(_)));
        if inline {
            if !req {
                return Err(E::custom("mixes an inline size {cpu, memory, ...} with requirements {families, vcpu, ...}; give one or the other"));
            }
            let cpu = self.cpu.ok_or_else(|| E::missing_field("cpu"))?;
            let memory = match self.memory {
                Some(MemoryField::Exact(m)) => m,
                _ => return Err(E::missing_field("memory")),
            };
            return Ok(VmSize::Inline(InlineVmSize {
                name: self.name,
                cpu,
                memory,
                price_per_hour: self.price_per_hour,
                temp_disk: self.temp_disk,
            }));
        }
        Ok(VmSize::Auto(VmRequirements {
            families: self.families,
            vcpu: self.vcpu,
            memory: match self.memory {
                Some(MemoryField::Range(r)) => Some(r),
                _ => None,
            },
            memory_per_vcpu: self.memory_per_vcpu,
            arch: self.arch,
            premium_storage: self.premium_storage,
            ephemeral_os_disk: self.ephemeral_os_disk,
            gpus: self.gpus,
            exclude: self.exclude,
        }))
    }
}

/// `count`: a number, or `auto` (sized by `plan`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// Fixed node count.
    Fixed(u32),
    /// Sized by `plan`.
    Auto,
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Fixed(n) => s.serialize_u32(*n),
            Count::Auto => s.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a node count (0 or more) or \"auto\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                u32::try_from(v)
                    .map(Count::Fixed)
                    .map_err(|_| E::custom(format!("node count {v} is too large")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                if v < 0 {
                    return Err(E::custom(format!("node count {v} is negative")));
                }
                self.visit_u64(v as u64)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                if v == "auto" {
                    Ok(Count::Auto)
                } else if let Ok(n) = v.parse::<u64>() {
                    self.visit_u64(n)
                } else {
                    Err(E::custom(format!(
                        "count '{v}' is neither a number nor \"auto\""
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// `autoscale: {min, max}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Autoscale {
    /// Minimum nodes.
    pub min: u32,
    /// Maximum nodes.
    pub max: u32,
}

/// OS disk kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OsDiskType {
    /// Remote Premium SSD sized by the node's vCPUs.
    Managed,
    /// On the VM's temp or cache disk.
    Ephemeral,
}

/// `osDisk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OsDisk {
    /// Size in GiB (default by AKS rules).
    #[serde(default, rename = "sizeGiB", skip_serializing_if = "Option::is_none")]
    pub size_gib: Option<u32>,
    /// Managed or Ephemeral (default by AKS rules).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub disk_type: Option<OsDiskType>,
}

/// A node pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pool {
    /// AKS pool name.
    pub name: String,
    /// System or User.
    #[serde(default)]
    pub mode: PoolMode,
    /// linux or windows.
    pub os: Os,
    /// AKS OS SKU; default Ubuntu for Linux, by Kubernetes version for Windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_sku: Option<OsSku>,
    /// VM size.
    pub vm_size: VmSize,
    /// Node count (fixed or `auto`). Required unless `autoscale` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<Count>,
    /// Cluster-autoscaler bounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<Autoscale>,
    /// maxPods per node; default by network plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<u32>,
    /// OS disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_disk: Option<OsDisk>,
    /// Availability zones the pool spreads over (`["1","2","3"]`); none = zone `0`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub zones: Vec<String>,
    /// Extra node labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Node taints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    /// Images present on every new node of this pool besides the node image's own cache.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pre_pulled_images: Vec<String>,
    /// The node image (VHD) version and what it caches; unset = the catalog's current one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_image: Option<NodeImage>,
    /// Azure Hybrid Benefit: Windows nodes billed at the Linux rate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub azure_hybrid_benefit: bool,
    /// Nodes that already exist (from `import`), by name, with the pods bound to them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeSpec>,
    /// The pool already exists in the cluster (imported pools count as existing too):
    /// emitted as `az aks nodepool update`/`scale`, not `add`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub existing: bool,
    /// Fewest nodes `plan` may give the pool (default: 2 for System pools, 0 for User).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_nodes: Option<u32>,
    /// The pool's Kubernetes version (AKS `orchestratorVersion`), when it lags the control
    /// plane (`cluster.kubernetesVersion`); at most three minors behind it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
}

/// A concrete node carried over from a cluster dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSpec {
    /// Node name.
    pub name: String,
    /// Allocatable as reported by the node (overrides the computed one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocatable: Option<Resources>,
    /// Capacity as reported by the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<Resources>,
    /// Labels beyond the pool's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Taints beyond the pool's (e.g. one node tainted by hand, or by the node lifecycle
    /// controller).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    /// Images on the node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Cordoned (`spec.unschedulable`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unschedulable: bool,
}

/// Taint effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TaintEffect {
    /// Pods that do not tolerate it are not scheduled.
    NoSchedule,
    /// The scheduler avoids the node.
    PreferNoSchedule,
    /// Not scheduled, and running pods evicted.
    NoExecute,
}

impl TaintEffect {
    /// Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A node taint. Written as `key=value:Effect`, `key:Effect`, or `{key, value, effect}`;
/// serialised in the string form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Taint {
    /// Key.
    pub key: String,
    /// Value (may be empty).
    pub value: String,
    /// Effect.
    pub effect: TaintEffect,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TaintMap {
    key: String,
    #[serde(default)]
    value: String,
    effect: TaintEffect,
}

impl std::str::FromStr for Taint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kv, effect) = s.rsplit_once(':').ok_or_else(|| {
            format!("taint '{s}' has no effect: write key=value:NoSchedule (or PreferNoSchedule, NoExecute)")
        })?;
        let effect = match effect {
            "NoSchedule" => TaintEffect::NoSchedule,
            "PreferNoSchedule" => TaintEffect::PreferNoSchedule,
            "NoExecute" => TaintEffect::NoExecute,
            other => {
                return Err(format!(
                    "taint '{s}': unknown effect '{other}'; use NoSchedule, PreferNoSchedule or NoExecute"
                ))
            }
        };
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        if key.is_empty() {
            return Err(format!("taint '{s}' has an empty key"));
        }
        Ok(Taint {
            key: key.to_owned(),
            value: value.to_owned(),
            effect,
        })
    }
}

impl fmt::Display for Taint {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect.as_str())
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect.as_str())
        }
    }
}

impl Serialize for Taint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Taint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Taint;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a taint: \"key=value:NoSchedule\" or {key, value, effect}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Taint, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Taint, A::Error> {
                let m = TaintMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Taint {
                    key: m.key,
                    value: m.value,
                    effect: m.effect,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A container image and its layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Image {
    /// Full reference, `registry/repo:tag`.
    pub name: String,
    /// Image OS; required unless `catalog` gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<Os>,
    /// Windows build, `10.0.17763`; required for Windows images unless `catalog` gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
    /// Layers, base first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<Layer>,
    /// A well-known image from the catalog (`aspnet-4.8-ltsc2019`); its layers come first,
    /// then any `layers` listed here (the app's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// Further platforms the same reference resolves to when it names a manifest list
    /// (`csi-node-driver-registrar`: linux, windows 10.0.17763 and 10.0.20348). A node
    /// runs the image when `os`/`osBuild` or any of these fits it, as containerd picks the
    /// matching manifest. Approximation: `layers` (and the catalog's) stand for every
    /// platform, so a Windows node pulls the Linux sizes of a Linux-first list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<Platform>,
}

/// One further platform of a multi-platform image (an entry of its manifest list).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Platform {
    /// The platform's OS.
    pub os: Os,
    /// Windows build, `10.0.20348`. Absent on a Windows platform means any build: a
    /// manifest without `os.version` matches every Windows host (containerd/platforms
    /// `windowsVersionMatcher`), as HostProcess images are published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_build: Option<String>,
}

/// One image layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Layer {
    /// Content digest; layers with the same digest are stored once per node.
    pub digest: String,
    /// Compressed (download) size.
    pub size: Bytes,
    /// Size on disk after extraction; default by OS compression ratio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncompressed_size: Option<Bytes>,
    /// Number of files in the layer. On Windows each file costs the NTFS snapshotter a
    /// fixed time to create, so file count, not bytes, sets a layer's extraction time;
    /// default by OS from the uncompressed size (`catalog::disks::default_layer_files`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<u64>,
}

/// `registry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Registry {
    /// Per-node effective download bandwidth for every image; unset = by registry
    /// (`mcr.microsoft.com`, `*.azurecr.io` by `acrTier`, others the catalog default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<Bandwidth>,
    /// Azure Container Registry service tier of the `*.azurecr.io` registries the images
    /// come from (default Standard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr_tier: Option<AcrTier>,
    /// Per-image overrides (image name -> bandwidth).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_image: BTreeMap<String, Bandwidth>,
}

/// Azure Container Registry service tier (`container-registry-skus.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AcrTier {
    /// Basic.
    Basic,
    /// Standard.
    Standard,
    /// Premium.
    Premium,
}

/// `pools[].nodeImage`: the AKS node image (VHD) a pool's nodes boot from and what it
/// pre-caches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeImage {
    /// Node-image version as the `kubernetes.azure.com/node-image-version` label spells it
    /// (`AKSWindows-2022-containerd-20348.5386.260715`) or its Windows part
    /// (`20348.5386.260715`): the Windows base images it caches are those of that patch
    /// build and the build before it. Unset = the catalog's current node image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The images the node image caches, replacing the catalog's list for the OS SKU and
    /// version (AKS system images stay cached). Unset = the catalog's list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_images: Option<Vec<String>>,
}

/// Workload controller kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WorkloadKind {
    /// ReplicaSet-backed replicas.
    Deployment,
    /// Ordered replicas.
    StatefulSet,
    /// One pod per matching node.
    DaemonSet,
    /// Run-to-completion pods.
    Job,
    /// A bare pod.
    Pod,
}

/// `requests` / `limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// CPU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Cpu>,
    /// Memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Bytes>,
    /// Ephemeral storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_storage: Option<Bytes>,
    /// Pod count (only meaningful for node capacity/allocatable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<u32>,
}

/// Toleration operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum TolerationOperator {
    /// Key and value must match.
    #[default]
    Equal,
    /// Key must exist (any value).
    Exists,
}

/// A pod toleration (core/v1 Toleration).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    /// Key; empty with Exists tolerates everything.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// Equal (default) or Exists.
    #[serde(default)]
    pub operator: TolerationOperator,
    /// Value for Equal.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    /// Effect; absent matches all effects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
    /// For NoExecute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

/// Operators of node selector requirements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeSelectorOperator {
    /// Label value in the set.
    In,
    /// Label value not in the set (or label absent).
    NotIn,
    /// Label present.
    Exists,
    /// Label absent.
    DoesNotExist,
    /// Label value, as an integer, greater.
    Gt,
    /// Label value, as an integer, less.
    Lt,
}

/// A node selector requirement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelectorRequirement {
    /// Label key (or field name in matchFields).
    pub key: String,
    /// Operator.
    pub operator: NodeSelectorOperator,
    /// Values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// A node selector term: all requirements must hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelectorTerm {
    /// Over labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    /// Over fields (`metadata.name` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// Required node affinity: any term may match.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelector {
    /// Terms, ORed.
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

/// A weighted preferred term.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreferredSchedulingTerm {
    /// 1-100.
    pub weight: i32,
    /// The term.
    pub preference: NodeSelectorTerm,
}

/// Node affinity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeAffinity {
    /// Hard requirement.
    #[serde(default, alias = "required", skip_serializing_if = "Option::is_none")]
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
    /// Soft preferences.
    #[serde(default, alias = "preferred", skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<PreferredSchedulingTerm>,
}

/// Label selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LabelSelectorOperator {
    /// In.
    In,
    /// NotIn.
    NotIn,
    /// Exists.
    Exists,
    /// DoesNotExist.
    DoesNotExist,
}

/// A label selector requirement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    /// Key.
    pub key: String,
    /// Operator.
    pub operator: LabelSelectorOperator,
    /// Values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// metav1.LabelSelector.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    /// Exact matches.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// Expressions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// An inter-pod affinity term.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodAffinityTerm {
    /// Pods this term is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    /// Namespaces (empty = the pod's own, unless namespaceSelector is set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Namespace selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    /// Topology key.
    pub topology_key: String,
    /// Keys whose values are copied from the incoming pod into the selector.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_label_keys: Vec<String>,
    /// Keys whose values must differ.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mismatch_label_keys: Vec<String>,
}

/// A weighted inter-pod affinity term.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeightedPodAffinityTerm {
    /// 1-100.
    pub weight: i32,
    /// The term.
    pub pod_affinity_term: PodAffinityTerm,
}

/// Pod affinity or anti-affinity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodAffinity {
    /// Hard terms (ANDed).
    #[serde(default, alias = "required", skip_serializing_if = "Vec::is_empty")]
    pub required_during_scheduling_ignored_during_execution: Vec<PodAffinityTerm>,
    /// Soft terms.
    #[serde(default, alias = "preferred", skip_serializing_if = "Vec::is_empty")]
    pub preferred_during_scheduling_ignored_during_execution: Vec<WeightedPodAffinityTerm>,
}

/// `affinity`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Affinity {
    /// Node affinity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_affinity: Option<NodeAffinity>,
    /// Pod affinity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_affinity: Option<PodAffinity>,
    /// Pod anti-affinity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_anti_affinity: Option<PodAffinity>,
}

/// `whenUnsatisfiable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnsatisfiableConstraintAction {
    /// Filter.
    DoNotSchedule,
    /// Score.
    ScheduleAnyway,
}

/// `nodeAffinityPolicy` / `nodeTaintsPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NodeInclusionPolicy {
    /// Respect.
    Honor,
    /// Ignore.
    Ignore,
}

/// A topology spread constraint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopologySpreadConstraint {
    /// Max skew, >= 1.
    pub max_skew: i32,
    /// Node label defining domains.
    pub topology_key: String,
    /// Filter or score.
    pub when_unsatisfiable: UnsatisfiableConstraintAction,
    /// Pods counted; default the workload's own pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
    /// minDomains (DoNotSchedule only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_domains: Option<i32>,
    /// Default Honor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_affinity_policy: Option<NodeInclusionPolicy>,
    /// Default Ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_taints_policy: Option<NodeInclusionPolicy>,
    /// Keys copied from the pod's labels into the selector.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_label_keys: Vec<String>,
}

/// NTFS / disk I/O cost inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IoProfile {
    /// Bytes read at startup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_read: Option<Bytes>,
    /// Files opened at startup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub small_files: Option<u64>,
    /// Files written at startup (logs, temp, compiled views).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_written: Option<u64>,
    /// Sustained read rate in MiB/s while running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steady_read_mi_bps: Option<u32>,
}

/// Poisson arrivals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Poisson {
    /// Mean arrivals per minute.
    pub rate_per_minute: f64,
    /// Stop generating arrivals at this time; default the horizon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Duration>,
    /// Start (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Duration>,
}

/// `arrival`: all replicas `at` a time, or `poisson` over a period.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Arrival {
    /// All replicas created at this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Duration>,
    /// Replicas created one by one as a Poisson process (up to `replicas`, or unbounded for
    /// Jobs without replicas until `until`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poisson: Option<Poisson>,
    /// Spread creation evenly over this long (a rollout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub over: Option<Duration>,
}

/// A workload: a controller and the pods it creates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workload {
    /// Name; pods are `<name>-<n>`.
    pub name: String,
    /// Controller kind.
    pub kind: WorkloadKind,
    /// Namespace (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Replica count (not for DaemonSets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    /// Main container image.
    pub image: String,
    /// Sidecar and init images (pulled before start, counted by ImageLocality).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_images: Vec<String>,
    /// Pod labels (default `app: <name>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Resource requests of the pod (the scheduler's view).
    #[serde(default)]
    pub requests: Resources,
    /// Limits (a container with limits only gets requests = limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<Resources>,
    /// nodeSelector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    /// Affinity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Affinity>,
    /// Topology spread constraints.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<TopologySpreadConstraint>,
    /// PriorityClass name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class_name: Option<String>,
    /// I/O profile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<IoProfile>,
    /// App start time after the container starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<Duration>,
    /// When pods are created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival: Option<Arrival>,
    /// How long a Job pod runs once ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<Duration>,
    /// Pods already running on named nodes (from `import`): node name per replica.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bound_to: Vec<String>,
}

/// `scale` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScaleEvent {
    /// Workload name.
    pub workload: String,
    /// New replica count.
    pub replicas: u32,
}

/// Node selection for node events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSelection {
    /// Pool name.
    pub pool: String,
    /// How many of its nodes (newest first); default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// A scenario event: exactly one action at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    /// When.
    pub at: Duration,
    /// Change a workload's replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<ScaleEvent>,
    /// Nodes fail (pods lost, rescheduled by their controllers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_nodes: Option<NodeSelection>,
    /// Nodes cordoned (unschedulable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cordon: Option<NodeSelection>,
    /// Nodes cordoned and their pods evicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain: Option<NodeSelection>,
    /// Nodes added to a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_nodes: Option<NodeSelection>,
    /// A node pool upgrade (Kubernetes version or node image), AKS's rolling procedure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeEvent>,
}

/// What AKS does with a node whose drain did not finish within `drainTimeout`
/// (`AgentPoolUpgradeSettings.undrainableNodeBehavior`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum UndrainableNodeBehavior {
    /// The default: the blocked node is made schedulable again and not upgraded, surge
    /// nodes are deleted, and the upgrade fails.
    #[default]
    Schedule,
    /// The blocked node stays cordoned with the label
    /// `kubernetes.azure.com/upgrade-status: Quarantined`, a surge node is kept in its
    /// place, and the upgrade goes on with the other nodes.
    Cordon,
}

/// The value of `upgrade.to` that asks for a node-image upgrade.
pub const UPGRADE_TO_NODE_IMAGE: &str = "node-image";

/// `upgrade` event: `az aks nodepool upgrade` of one pool, to a Kubernetes version
/// (`"1.33"`; the control plane goes first when the version is newer than the cluster's) or
/// to the latest node image (`node-image`), with the pool's upgrade settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpgradeEvent {
    /// Pool name.
    pub pool: String,
    /// `MAJOR.MINOR` or `node-image`.
    pub to: String,
    /// Extra nodes during the upgrade: a count or a percentage of the pool (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrPercent>,
    /// How long AKS waits for one node's drain (default 30m; 5m to 24h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_timeout: Option<Duration>,
    /// Wait after a node is drained before it is reimaged (default 0; at most 30m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_soak_duration: Option<Duration>,
    /// What happens to a node whose drain times out (default `Schedule`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undrainable_node_behavior: Option<UndrainableNodeBehavior>,
}

/// `targets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Targets {
    /// Every pod placed and ready by the horizon.
    #[serde(default)]
    pub all_placed: bool,
    /// No pod pending longer than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pending: Option<Duration>,
    /// 95th percentile time from creation to ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p95_time_to_ready: Option<Duration>,
    /// Spare allocatable left per resource, per pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headroom: Option<Percent>,
}

/// `sim`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimSettings {
    /// RNG seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time span.
    #[serde(default = "default_horizon")]
    pub horizon: Duration,
    /// Independent replications (seed, seed+1, ...).
    #[serde(default = "default_replications")]
    pub replications: u32,
    /// Time-series sample interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_every: Option<Duration>,
    /// Whether node provisioning, pull rates and container starts are drawn from their
    /// fitted distributions (`on`, the default) or take their point values (`none`, for
    /// exact what-ifs). See docs/model.md, "Variability".
    #[serde(default, skip_serializing_if = "Variability::is_default")]
    pub variability: Variability,
}

/// `sim.variability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variability {
    /// Durations drawn per node and per pull from the `Jitter` RNG stream.
    #[default]
    On,
    /// Every duration at its point (median) value; the `Jitter` stream is never drawn.
    None,
}

impl Variability {
    /// True for the default (`on`), which scenario output omits.
    pub fn is_default(&self) -> bool {
        *self == Variability::On
    }
}

fn default_seed() -> u64 {
    42
}
fn default_horizon() -> Duration {
    Duration::hours(2)
}
fn default_replications() -> u32 {
    1
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            seed: default_seed(),
            horizon: default_horizon(),
            replications: default_replications(),
            sample_every: None,
            variability: Variability::On,
        }
    }
}

/// `preemptionPolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum PreemptionPolicy {
    /// May preempt lower-priority pods.
    #[default]
    PreemptLowerPriority,
    /// Never preempts.
    Never,
}

/// A PriorityClass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriorityClass {
    /// Name.
    pub name: String,
    /// Priority value (user classes at most 1,000,000,000).
    pub value: i32,
    /// Default for pods without a class.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub global_default: bool,
    /// Preemption policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<PreemptionPolicy>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// An integer or a percentage (`intstr.IntOrString`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IntOrPercent {
    /// Absolute.
    Int(u32),
    /// `"50%"`.
    Percent(String),
}

/// A PodDisruptionBudget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DisruptionBudget {
    /// Name.
    pub name: String,
    /// Namespace (default `default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Pods covered.
    pub selector: LabelSelector,
    /// minAvailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrPercent>,
    /// maxUnavailable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrPercent>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(yaml: &str) -> Result<VmSize, String> {
        serde_yaml_ng::from_str::<VmSize>(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn vm_size_forms() {
        assert_eq!(vm("auto"), Ok(VmSize::Auto(VmRequirements::default())));
        assert_eq!(
            vm("Standard_D4s_v5"),
            Ok(VmSize::Named("Standard_D4s_v5".into()))
        );
        let r = vm("{families: [E, Dasv5], vcpu: {min: 4, max: 16}, memory: {min: 16Gi}, memoryPerVcpu: {min: 8Gi}, arch: arm64, premiumStorage: true, ephemeralOsDisk: false, gpus: {max: 0}, exclude: [Standard_E4as_v5]}").unwrap();
        let VmSize::Auto(r) = r else { panic!("{r:?}") };
        assert_eq!(r.families, ["E", "Dasv5"]);
        assert_eq!(r.vcpu.and_then(|b| b.max), Some(16));
        assert_eq!(r.memory.and_then(|b| b.min), Some(Bytes::gib(16)));
        assert_eq!(r.memory_per_vcpu.and_then(|b| b.min), Some(Bytes::gib(8)));
        assert_eq!(r.arch, Some(crate::catalog::Arch::Arm64));
        assert_eq!(r.premium_storage, Some(true));
        assert_eq!(r.exclude, ["Standard_E4as_v5"]);
        let VmSize::Inline(i) = vm("{cpu: 4, memory: 16Gi, pricePerHour: 0.2}").unwrap() else {
            panic!()
        };
        assert_eq!(i.memory, Bytes::gib(16));
    }

    #[test]
    fn vm_size_maps_refuse_typos_and_mixtures() {
        let e = vm("{famlies: [D]}").unwrap_err();
        assert!(e.contains("unknown field `famlies`"), "{e}");
        let e = vm("{cpu: 4, memory: 16Gi, families: [D]}").unwrap_err();
        assert!(e.contains("mixes an inline size"), "{e}");
        let e = vm("{cpu: 4}").unwrap_err();
        assert!(e.contains("missing field `memory`"), "{e}");
        let e = vm("{vcpu: {min: 4, mx: 8}}").unwrap_err();
        assert!(e.contains("unknown field `mx`"), "{e}");
    }
}
