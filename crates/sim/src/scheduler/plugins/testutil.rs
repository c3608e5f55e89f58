//! Builders for plugin unit tests: a small cluster assembled by hand.

use std::collections::BTreeMap;

use poolcast_model::scenario::{Os, WorkloadKind};

use crate::cluster::{Cluster, NodeId, NodeInfo, Owner, PodId, PodSpec, PoolId, Res, SpecId};

/// An empty cluster.
pub fn cluster() -> Cluster {
    Cluster::default()
}

/// Labels from pairs.
pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A live Linux node with 4 cores, 16 GiB, 100 GiB ephemeral storage, 110 pods.
pub fn node(name: &str, l: &[(&str, &str)]) -> NodeInfo {
    NodeInfo {
        name: name.to_owned(),
        pool: PoolId(0),
        os: Os::Linux,
        windows_build: None,
        labels: labels(l).into(),
        taints: Vec::new(),
        unschedulable: false,
        allocatable: Res {
            cpu: 4000,
            memory: 16 << 30,
            ephemeral: 100 << 30,
            pods: 110,
        },
        requested: Res::default(),
        non_zero_requested: Res::default(),
        pods: Vec::new(),
        images: Vec::new(),
        live: true,
    }
}

/// Adds `node(name, labels)` with its hostname label.
pub fn add_node(c: &mut Cluster, name: &str, l: &[(&str, &str)]) -> NodeId {
    let mut n = node(name, l);
    n.labels
        .insert("kubernetes.io/hostname".into(), name.to_owned());
    c.add_node(n)
}

/// A Deployment template in `default` with `app: <name>` and 100m / 128 MiB requests.
pub fn spec(name: &str) -> PodSpec {
    let requests = Res {
        cpu: 100,
        memory: 128 << 20,
        ephemeral: 0,
        pods: 1,
    };
    PodSpec {
        workload: name.to_owned(),
        namespace: "default".into(),
        owner: Owner::Workload(WorkloadKind::Deployment),
        labels: labels(&[("app", name)]).into(),
        requests,
        non_zero: requests,
        node_selector: BTreeMap::new(),
        required_node_affinity: None,
        preferred_node_affinity: Vec::new(),
        affinity: None,
        tolerations: Vec::new(),
        topology_spread: Vec::new(),
        system_default_spread: false,
        images: Vec::new(),
        priority: 0,
        never_preempt: false,
    }
}

/// Adds a template and one unbound pod of it.
pub fn add_pod(c: &mut Cluster, s: PodSpec) -> PodId {
    let name = s.workload.clone();
    let id = c.add_spec(s);
    c.add_pod(format!("{name}-{}", c.pods.len()), id, None)
}

/// Adds `count` pods of an existing template bound to `node`.
pub fn bind_n(c: &mut Cluster, spec: SpecId, node: NodeId, count: usize) {
    for _ in 0..count {
        let p = c.add_pod(format!("p{}", c.pods.len()), spec, None);
        c.bind(p, node);
    }
}
