//! `vmSize: auto` and VM requirement objects: the catalog sizes a pool may use, the way
//! Karpenter's NodePool requirements select instance types (`karpenter.azure.com/sku-family`,
//! `sku-cpu`, `sku-memory`, `kubernetes.io/arch`, `sku-gpu-count`; Azure/karpenter-provider-azure
//! `pkg/apis/v1beta1/labels.go`): every size of the catalog that meets every requirement,
//! that AKS accepts for the pool's mode and OS (the catalog's `aks_user`/`aks_system`, no
//! Windows on Arm64),
//! and that has a price on the pool's price list in the region. `plan` searches them all;
//! `run` uses the cheapest. Defaults (assumptions, in `docs/plan.md`): x86-64 only (images
//! carry no architecture in poolcast), no GPU sizes, no burstable B sizes unless `families`
//! names them.

use crate::catalog::{Arch, Catalog, VmSku};
use crate::scenario::{Os, PoolMode, VmRequirements};

/// The family letters of a size, as Karpenter's `sku-family` has them: the capitals after
/// `Standard_` and before the vCPU count (`D` for `Standard_D4s_v5`, `NC` for
/// `Standard_NC6s_v3`, `DS` for `Standard_DS3_v2`).
pub fn family_letters(name: &str) -> &str {
    let body = name.strip_prefix("Standard_").unwrap_or(name);
    let end = body
        .find(|c: char| !c.is_ascii_uppercase())
        .unwrap_or(body.len());
    &body[..end]
}

/// The series as the catalog names it, without a note (`Dpsv6` for `Dpsv6 (Arm64)`).
pub fn series(sku: &VmSku) -> &str {
    sku.family.split_whitespace().next().unwrap_or("")
}

fn names_sku(entry: &str, sku: &VmSku) -> bool {
    let e = entry.trim();
    e.eq_ignore_ascii_case(&sku.name)
        || e.eq_ignore_ascii_case(series(sku))
        || e.eq_ignore_ascii_case(family_letters(&sku.name))
}

/// Why `sku` does not meet `req`, or `Ok` when it does. AKS rules are not checked here.
pub fn meets(req: &VmRequirements, sku: &VmSku) -> Result<(), String> {
    if !req.families.is_empty() && !req.families.iter().any(|f| names_sku(f, sku)) {
        return Err(format!("family {} not in {:?}", series(sku), req.families));
    }
    // Burstable B sizes deliver a baseline share of their vCPUs once their CPU credits
    // are spent (MicrosoftDocs/azure-compute-docs `sizes/general-purpose/b-family.md`), so
    // a pod's CPU request is not a sustained guarantee there: only when asked for by name.
    if req.families.is_empty() && family_letters(&sku.name).starts_with('B') {
        return Err("burstable B-series (name it in families to allow it)".to_owned());
    }
    if req.exclude.iter().any(|x| names_sku(x, sku)) {
        return Err("excluded".to_owned());
    }
    if let Some(b) = req.vcpu.filter(|b| !b.contains(sku.vcpu)) {
        return Err(format!("{} vCPU outside {b:?}", sku.vcpu));
    }
    if let Some(b) = req.memory.filter(|b| !b.contains(sku.memory)) {
        return Err(format!("{} memory outside {b:?}", sku.memory));
    }
    if let Some(b) = req.memory_per_vcpu {
        let per = crate::units::Bytes(sku.memory.get() / u64::from(sku.vcpu.max(1)));
        if !b.contains(per) {
            return Err(format!("{per} per vCPU outside {b:?}"));
        }
    }
    let arch = req.arch.unwrap_or(Arch::Amd64);
    if sku.arch != arch {
        return Err(format!("{} is not {arch}", sku.arch));
    }
    // A size whose Premium SSD support the source does not state is not taken on a
    // premium-storage requirement either way.
    if req
        .premium_storage
        .is_some_and(|p| sku.premium_io != Some(p))
    {
        return Err("premium storage".to_owned());
    }
    if req
        .ephemeral_os_disk
        .is_some_and(|e| e != sku.ephemeral_os_disk)
    {
        return Err("ephemeral OS disk".to_owned());
    }
    let gpus = gpus(sku);
    let gpus_ok = match req.gpus {
        Some(b) => b.contains(gpus),
        None => gpus == 0,
    };
    if !gpus_ok {
        return Err(format!("{gpus} GPUs"));
    }
    Ok(())
}

/// GPUs of a size: as the catalog states, else one for an N-series size (every N size
/// has at least one GPU, MicrosoftDocs/azure-compute-docs `sizes/overview.md`, "GPU
/// accelerated") and none for the others.
pub fn gpus(sku: &VmSku) -> u32 {
    sku.gpus
        .unwrap_or(u32::from(family_letters(&sku.name).starts_with('N')))
}

/// Whether AKS accepts `sku` for a pool of `mode` and `os`: the catalog's AKS eligibility
/// for User and System pools, and no Windows on Arm64.
pub fn aks_accepts(sku: &VmSku, os: Os, mode: PoolMode) -> bool {
    let pool_ok = match mode {
        PoolMode::User => sku.aks_user,
        PoolMode::System => sku.aks_system,
    };
    pool_ok && !(os == Os::Windows && sku.arch == Arch::Arm64)
}

/// Every catalog size that meets `req`, that AKS accepts for the pool (when `aks_rules`),
/// and that has a `price_os` price in `region`; in catalog (name) order.
pub fn candidates<'a>(
    cat: &'a Catalog,
    req: &VmRequirements,
    os: Os,
    mode: PoolMode,
    region: &str,
    price_os: Os,
    aks_rules: bool,
) -> Vec<&'a VmSku> {
    cat.vm_skus()
        .filter(|s| meets(req, s).is_ok())
        .filter(|s| !aks_rules || aks_accepts(s, os, mode))
        .filter(|s| s.price(region, price_os).is_some())
        .collect()
}

/// The cheapest of [`candidates`] (ties by name): the size `run` gives an `auto` pool.
pub fn cheapest<'a>(
    cat: &'a Catalog,
    req: &VmRequirements,
    os: Os,
    mode: PoolMode,
    region: &str,
    price_os: Os,
    aks_rules: bool,
) -> Option<&'a VmSku> {
    candidates(cat, req, os, mode, region, price_os, aks_rules)
        .into_iter()
        .filter_map(|s| s.price(region, price_os).map(|p| (p, s)))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.name.cmp(&b.1.name)))
        .map(|(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Bounds;
    use crate::units::Bytes;

    fn names(v: &[&VmSku]) -> Vec<String> {
        v.iter().map(|s| s.name.clone()).collect()
    }

    #[test]
    fn family_letters_follow_the_size_name() {
        assert_eq!(family_letters("Standard_D4s_v5"), "D");
        assert_eq!(family_letters("Standard_NC6s_v3"), "NC");
        assert_eq!(family_letters("Standard_DS3_v2"), "DS");
        assert_eq!(family_letters("Standard_E16ads_v5"), "E");
    }

    #[test]
    fn auto_takes_every_priced_amd64_size_without_gpus_that_aks_accepts() {
        let cat = Catalog::builtin();
        let req = VmRequirements::default();
        let all = candidates(
            cat,
            &req,
            Os::Linux,
            PoolMode::User,
            "eastus",
            Os::Linux,
            true,
        );
        assert!(all.len() > 40, "{}", all.len());
        for s in &all {
            assert_eq!(s.arch, Arch::Amd64, "{}", s.name);
            assert_eq!(gpus(s), 0, "{}", s.name);
            assert!(s.price("eastus", Os::Linux).is_some(), "{}", s.name);
            assert!(s.aks_user, "{}", s.name);
        }
        // Everything the catalog has that passes the filters is there: growing the catalog
        // grows the search.
        let expected = cat
            .vm_skus()
            .filter(|s| s.arch == Arch::Amd64 && gpus(s) == 0)
            .filter(|s| !family_letters(&s.name).starts_with('B'))
            .filter(|s| aks_accepts(s, Os::Linux, PoolMode::User))
            .filter(|s| s.price("eastus", Os::Linux).is_some())
            .count();
        assert_eq!(all.len(), expected);
        let sys = candidates(
            cat,
            &req,
            Os::Linux,
            PoolMode::System,
            "eastus",
            Os::Linux,
            true,
        );
        assert!(!sys.is_empty());
        for s in &sys {
            assert!(s.aks_system && s.vcpu >= 4, "{}", s.name);
        }
        let b = VmRequirements {
            families: vec!["B".into()],
            ..VmRequirements::default()
        };
        let burst = candidates(
            cat,
            &b,
            Os::Linux,
            PoolMode::User,
            "eastus",
            Os::Linux,
            true,
        );
        assert!(!burst.is_empty() && burst.iter().all(|s| s.name.starts_with("Standard_B")));
    }

    #[test]
    fn requirements_narrow_the_set() {
        let cat = Catalog::builtin();
        let req = VmRequirements {
            families: vec!["E".into()],
            vcpu: Some(Bounds {
                min: Some(4),
                max: Some(8),
            }),
            memory_per_vcpu: Some(Bounds {
                min: Some(Bytes::gib(8)),
                max: None,
            }),
            premium_storage: Some(true),
            exclude: vec!["Standard_E4as_v5".into(), "Edsv5".into()],
            ..VmRequirements::default()
        };
        let got = names(&candidates(
            cat,
            &req,
            Os::Linux,
            PoolMode::User,
            "eastus",
            Os::Linux,
            true,
        ));
        assert!(got.contains(&"Standard_E4s_v5".to_owned()), "{got:?}");
        assert!(got.contains(&"Standard_E8s_v5".to_owned()), "{got:?}");
        // The Edsv5 family and one named size are excluded; Eadsv5 is another family.
        for gone in ["Standard_E4ds_v5", "Standard_E8ds_v5", "Standard_E4as_v5"] {
            assert!(!got.iter().any(|n| n == gone), "{gone} in {got:?}");
        }
        assert!(got.contains(&"Standard_E4ads_v5".to_owned()), "{got:?}");
        assert!(got.iter().all(|n| n.starts_with("Standard_E")));

        let arm = VmRequirements {
            arch: Some(Arch::Arm64),
            ..VmRequirements::default()
        };
        let got = candidates(
            cat,
            &arm,
            Os::Linux,
            PoolMode::User,
            "eastus",
            Os::Linux,
            true,
        );
        assert!(!got.is_empty() && got.iter().all(|s| s.arch == Arch::Arm64));
        assert!(candidates(
            cat,
            &arm,
            Os::Windows,
            PoolMode::User,
            "eastus",
            Os::Windows,
            true
        )
        .is_empty());

        let gpu = VmRequirements {
            gpus: Some(Bounds {
                min: Some(1),
                max: None,
            }),
            ..VmRequirements::default()
        };
        let got = candidates(
            cat,
            &gpu,
            Os::Linux,
            PoolMode::User,
            "eastus",
            Os::Linux,
            true,
        );
        assert!(!got.is_empty() && got.iter().all(|s| gpus(s) >= 1));
    }

    #[test]
    fn cheapest_is_the_lowest_price_then_name() {
        let cat = Catalog::builtin();
        let req = VmRequirements {
            families: vec!["Dsv5".into()],
            ..VmRequirements::default()
        };
        let c = cheapest(
            cat,
            &req,
            Os::Linux,
            PoolMode::User,
            "eastus",
            Os::Linux,
            true,
        );
        assert_eq!(c.map(|s| s.name.as_str()), Some("Standard_D2s_v5"));
    }
}
