//! Catalogs of Azure and AKS facts the engine and planner draw on, embedded in the binary:
//! VM sizes and prices ([`skus`]), well-known images and node-image caches ([`images`]),
//! AKS system pods ([`system_pods`]), node reservations ([`reservations`]), AKS pool rules
//! ([`aks`]), OS disks and I/O costs ([`disks`]), provisioning and container start times
//! ([`provisioning`]), and plain rows for the CLI's `catalog` command ([`rows`]).
//!
//! The tables live in `crates/model/data/` and are compiled in with `include_str!`; every
//! entry keeps its source and date. [`Catalog::builtin`] parses them once. The CSV tables are
//! also split into rows at build time (`build.rs`), so that parse only reads values. A parse
//! failure of the embedded data is a bug in this crate (a unit test parses them), never a
//! user error.

mod csv;
mod estimate;
mod index;
mod split;

pub mod aks;
pub mod disk_prices;
pub mod disks;
pub mod images;
pub mod provisioning;
pub mod reservations;
pub mod rows;
pub mod select;
pub mod skus;
pub mod system_pods;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

pub use estimate::{lognormal_quantile, Dist, Estimate};
pub use images::{normalize_reference, CacheRule, CatalogImage};
pub use skus::{Arch, PriceBasis, SkuPrice, VmSku};
pub use system_pods::{EnabledBy, PodImage, PodRequests, SystemPod, SystemPodKind};

use crate::scenario::Os;

const SKUS_CSV: &str = include_str!("../../data/azure-vm-skus.csv");
const SIZES_CSV: &str = include_str!("../../data/vm-sizes.csv");
const PRICES_CSV: &str = include_str!("../../data/vm-prices.csv");
const IMAGES_YAML: &str = include_str!("../../data/images.yaml");
const SYSTEM_PODS_YAML: &str = include_str!("../../data/aks-system-pods.yaml");

/// Why catalog data was refused. For the embedded tables this is a bug in poolcast; for
/// tables a caller supplies to [`Catalog::from_sources`] it is theirs to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// The text is not well-formed CSV or YAML, or does not match the expected fields.
    #[error("{file}: {location}: {message}")]
    Parse {
        /// Which table.
        file: &'static str,
        /// Line or field path.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The text parses but a value breaks a rule of the table (duplicate key, bad unit,
    /// unknown reference).
    #[error("{file}: {location}: {message}")]
    Invalid {
        /// Which table.
        file: &'static str,
        /// Row or entry.
        location: String,
        /// What is wrong.
        message: String,
    },
}

/// All catalog tables, parsed and cross-checked.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// By lower-case size name.
    skus: BTreeMap<String, VmSku>,
    /// Sizes known by name only (no specs), by lower-case name.
    names_only: BTreeMap<String, String>,
    /// Regions with a full-table price row for a size with specs (hand-table regions are
    /// in the sizes' eager rows).
    price_regions: BTreeSet<String>,
    images: Vec<CatalogImage>,
    /// Catalog key -> index into `images`.
    image_keys: BTreeMap<String, usize>,
    /// Normalised reference -> indices into `images` (one per OS at most).
    image_refs: BTreeMap<String, Vec<usize>>,
    system_pods: Vec<SystemPod>,
}

impl Catalog {
    /// The catalog compiled into this binary, parsed on first use.
    ///
    /// # Panics
    /// If the embedded data does not parse; the unit test `builtin_catalog_parses` keeps
    /// that from shipping.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| match Catalog::parse_embedded() {
            Ok(c) => c,
            Err(e) => panic!("poolcast's embedded catalog data is invalid (a bug): {e}"),
        })
    }

    /// Parses the embedded tables afresh, without the cache [`Catalog::builtin`] keeps
    /// (the parse-time benchmark, `benches/catalog.rs`). The CSV tables come split into
    /// records at build time (the index `build.rs` writes); without that index this is
    /// [`Catalog::parse_embedded_text`]. The full price table is split into one block per
    /// size; a size's price rows are parsed when first read ([`skus::SkuPrices`]), so a
    /// process pays only for the sizes it prices.
    pub fn parse_embedded() -> Result<Catalog, CatalogError> {
        match index::EMBEDDED {
            Some(ix) => Catalog::parse_indexed(ix).unwrap_or_else(Catalog::parse_embedded_text),
            None => Catalog::parse_embedded_text(),
        }
    }

    /// [`Catalog::parse_embedded`] from the embedded text alone, tokenising every table at
    /// run time: what runs when the build could not split a table, kept callable so the
    /// benchmark and a test can compare both paths.
    #[doc(hidden)]
    pub fn parse_embedded_text() -> Result<Catalog, CatalogError> {
        let full = skus::parse_full_lazy(SIZES_CSV, PRICES_CSV)?;
        Ok(Catalog::from_sources(SKUS_CSV, IMAGES_YAML, SYSTEM_PODS_YAML)?.merge_full(full))
    }

    /// The catalog from the build-time index; `None` when the index was built from other
    /// table texts than the embedded ones (then the text path runs).
    fn parse_indexed(ix: &index::EmbeddedIndex) -> Option<Result<Catalog, CatalogError>> {
        if ix.lengths != [SKUS_CSV.len(), SIZES_CSV.len(), PRICES_CSV.len()] {
            return None;
        }
        let full = match skus::parse_full_indexed(ix, PRICES_CSV)? {
            Ok(full) => full,
            Err(e) => return Some(Err(e)),
        };
        Some(
            skus::skus_from_records(ix.sku_records.iter().copied())
                .and_then(|skus| Catalog::from_parts(skus, IMAGES_YAML, SYSTEM_PODS_YAML))
                .map(|c| c.merge_full(full)),
        )
    }

    /// Parses every size's price rows now, reporting the first bad row (the lazy rows of
    /// [`Catalog::parse_embedded`] are otherwise parsed on first read).
    pub fn check_prices(&self) -> Result<(), CatalogError> {
        self.skus.values().try_for_each(|s| s.prices.check())
    }

    /// Builds a catalog from table texts in the embedded formats (the SKU CSV, the image
    /// YAML and the system-pod YAML), e.g. to test an updated table before embedding it.
    pub fn from_sources(
        skus_csv: &str,
        images_yaml: &str,
        system_pods_yaml: &str,
    ) -> Result<Catalog, CatalogError> {
        Catalog::from_parts(skus::parse_skus(skus_csv)?, images_yaml, system_pods_yaml)
    }

    /// [`Catalog::from_sources`] with the SKU table already read.
    fn from_parts(
        skus: BTreeMap<String, VmSku>,
        images_yaml: &str,
        system_pods_yaml: &str,
    ) -> Result<Catalog, CatalogError> {
        let images = images::parse_images(images_yaml)?;
        let mut image_keys = BTreeMap::new();
        let mut image_refs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, img) in images.iter().enumerate() {
            image_keys.insert(img.key.clone(), i);
            for r in img.references() {
                image_refs
                    .entry(normalize_reference(r))
                    .or_default()
                    .push(i);
            }
        }
        let mut catalog = Catalog {
            skus,
            names_only: BTreeMap::new(),
            price_regions: BTreeSet::new(),
            images,
            image_keys,
            image_refs,
            system_pods: Vec::new(),
        };
        catalog.system_pods = system_pods::parse_system_pods(system_pods_yaml, &catalog)?;
        Ok(catalog)
    }

    /// Adds the full size and price tables (`data/vm-sizes.csv`, `data/vm-prices.csv`
    /// formats) to a catalog built by [`Catalog::from_sources`]. The hand-checked table
    /// wins: a size it holds keeps its specs and its prices in its regions; the full table
    /// adds that size's other regions, and every size it lacks.
    pub fn with_full_vm_tables(
        self,
        sizes_csv: &str,
        prices_csv: &str,
    ) -> Result<Catalog, CatalogError> {
        Ok(self.merge_full(skus::parse_full(sizes_csv, prices_csv)?))
    }

    fn merge_full(mut self, full: skus::FullTables) -> Catalog {
        for (key, sku) in full.skus {
            match self.skus.get_mut(&key) {
                Some(hand) => {
                    hand.prices.fill_from(sku.prices);
                    hand.premium_io = hand.premium_io.or(sku.premium_io);
                    hand.gpus = hand.gpus.or(sku.gpus);
                }
                None => {
                    self.skus.insert(key, sku);
                }
            }
        }
        for (key, name) in full.names_only {
            if !self.skus.contains_key(&key) {
                self.names_only.insert(key, name);
            }
        }
        self.price_regions.extend(full.regions);
        self
    }

    /// A size the catalog knows by name only (no specs), with its canonical spelling.
    pub fn name_only_vm_size(&self, name: &str) -> Option<&str> {
        self.names_only
            .get(&name.trim().to_ascii_lowercase())
            .map(String::as_str)
    }

    /// A VM size by name, ignoring case (`standard_d4s_v5` finds `Standard_D4s_v5`).
    pub fn vm_sku(&self, name: &str) -> Option<&VmSku> {
        self.skus.get(&name.trim().to_ascii_lowercase())
    }

    /// All VM sizes, sorted by name (case-insensitively).
    pub fn vm_skus(&self) -> impl Iterator<Item = &VmSku> {
        self.skus.values()
    }

    /// Region names that have prices, sorted.
    pub fn regions(&self) -> Vec<&str> {
        let mut r: BTreeSet<&str> = self.price_regions.iter().map(String::as_str).collect();
        r.extend(self.skus.values().flat_map(|s| s.prices.eager_regions()));
        r.into_iter().collect()
    }

    /// An image by catalog key (`aspnet-4.8-ltsc2019`) or by reference
    /// (`mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019`,
    /// `nginx:1.31.3`). A reference published for several OSes (the CSI sidecars) returns
    /// its Linux entry; use [`Catalog::image_for_os`] to choose.
    pub fn image(&self, key: &str) -> Option<&CatalogImage> {
        let k = key.trim();
        if let Some(&i) = self.image_keys.get(k) {
            return self.images.get(i);
        }
        let idx = self.image_refs.get(&normalize_reference(k))?;
        idx.iter()
            .map(|&i| &self.images[i])
            .min_by_key(|img| img.os)
    }

    /// An image by key or reference, as a node of `os` would resolve it.
    pub fn image_for_os(&self, key: &str, os: Os) -> Option<&CatalogImage> {
        let k = key.trim();
        if let Some(&i) = self.image_keys.get(k) {
            return self.images.get(i).filter(|img| img.os == os);
        }
        self.image_refs
            .get(&normalize_reference(k))?
            .iter()
            .map(|&i| &self.images[i])
            .find(|img| img.os == os)
    }

    /// All images, in the order of the data file.
    pub fn images(&self) -> impl Iterator<Item = &CatalogImage> {
        self.images.iter()
    }

    /// All AKS system pods (DaemonSets and Deployments, every OS, plugin and add-on), in
    /// data-file order. See [`system_pods::system_pods_for`] for one node's set.
    pub fn system_pods(&self) -> &[SystemPod] {
        &self.system_pods
    }

    /// The images a fresh AKS node of `os` (and Windows build) has pre-pulled by its node
    /// image, in data-file order.
    pub fn node_image_cache(&self, os: Os, windows_build: Option<u32>) -> Vec<&CatalogImage> {
        self.images
            .iter()
            .filter(|img| img.is_cached_on(os, windows_build))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Bytes;

    #[test]
    fn builtin_catalog_parses() {
        if let Err(e) = Catalog::from_sources(SKUS_CSV, IMAGES_YAML, SYSTEM_PODS_YAML) {
            panic!("{e}");
        }
        let hand = Catalog::from_sources(SKUS_CSV, IMAGES_YAML, SYSTEM_PODS_YAML).unwrap();
        assert_eq!(hand.vm_skus().count(), 77);
        assert_eq!(
            hand.regions(),
            ["eastus", "northeurope", "westeurope", "westus2"]
        );
        assert!(
            hand.vm_skus().all(|s| s.prices.len() == 4),
            "4 regions each"
        );
        let c = Catalog::builtin();
        // Every size with specs (1,468), every region with prices (57).
        assert_eq!(c.vm_skus().count(), 1468);
        assert_eq!(c.regions().len(), 57);
        // Every lazy price block parses.
        if let Err(e) = c.check_prices() {
            panic!("{e}");
        }
    }

    /// Asserts two catalogs hold the same tables, the lazy price blocks included (the
    /// same text slice and first line) before any is parsed, then every parsed price.
    fn assert_same_catalog(a: &Catalog, b: &Catalog) {
        assert_eq!(a.names_only, b.names_only);
        assert_eq!(a.price_regions, b.price_regions);
        assert_eq!(a.images, b.images);
        assert_eq!(a.image_keys, b.image_keys);
        assert_eq!(a.image_refs, b.image_refs);
        assert_eq!(a.system_pods, b.system_pods);
        assert!(a.skus.keys().eq(b.skus.keys()));
        for (x, y) in a.skus.values().zip(b.skus.values()) {
            let (bx, by) = (x.prices.lazy_block(), y.prices.lazy_block());
            assert_eq!(bx, by, "{}", x.name);
            if let (Some((tx, _)), Some((ty, _))) = (bx, by) {
                assert!(std::ptr::eq(tx, ty), "{}: same slice of the table", x.name);
            }
        }
        for (x, y) in a.skus.values().zip(b.skus.values()) {
            assert_eq!(x, y, "{}", x.name);
        }
    }

    #[test]
    fn build_time_index_equals_the_text_parse() {
        let ix = index::EMBEDDED.expect("build.rs splits the embedded tables");
        assert_eq!(ix.size_rows.len(), 1782);
        assert_eq!(ix.price_blocks.len(), 1748);
        let indexed = Catalog::parse_indexed(ix)
            .expect("the index fits the embedded tables")
            .unwrap();
        let text = Catalog::parse_embedded_text().unwrap();
        assert_same_catalog(&indexed, &text);
        assert_same_catalog(&Catalog::parse_embedded().unwrap(), &text);

        // An index built from other texts is not used.
        let stale = index::EmbeddedIndex {
            lengths: [SKUS_CSV.len(), SIZES_CSV.len() + 1, PRICES_CSV.len()],
            sku_records: ix.sku_records,
            size_rows: ix.size_rows,
            price_regions: ix.price_regions,
            price_blocks: ix.price_blocks,
        };
        assert!(Catalog::parse_indexed(&stale).is_none());

        // A bad value in split records is refused with the text path's message and line.
        let mut records: Vec<(usize, Vec<&str>)> = ix
            .sku_records
            .iter()
            .map(|&(line, f)| (line, f.to_vec()))
            .collect();
        records[4].1[2] = "four";
        let from_index = skus::skus_from_records(records).unwrap_err();
        let bad_text = SKUS_CSV.replacen(
            "Standard_D2s_v3,Dsv3,2,8,16,1000,48,3200,supported,supported,northeurope",
            "Standard_D2s_v3,Dsv3,four,8,16,1000,48,3200,supported,supported,northeurope",
            1,
        );
        assert_ne!(bad_text, SKUS_CSV);
        let from_text = skus::parse_skus(&bad_text).unwrap_err();
        assert_eq!(from_index, from_text);
        assert!(from_text.to_string().contains("line 5"), "{from_text}");
    }

    #[test]
    fn lazy_prices_equal_the_eager_parse() {
        let lazy = Catalog::parse_embedded().unwrap();
        // Regions are known before any price is read.
        let regions: Vec<String> = lazy.regions().into_iter().map(str::to_owned).collect();
        let eager = Catalog::from_sources(SKUS_CSV, IMAGES_YAML, SYSTEM_PODS_YAML)
            .unwrap()
            .with_full_vm_tables(SIZES_CSV, PRICES_CSV)
            .unwrap();
        assert_eq!(regions, eager.regions());
        assert_eq!(lazy.vm_skus().count(), eager.vm_skus().count());
        for (a, b) in lazy.vm_skus().zip(eager.vm_skus()) {
            assert_eq!(a, b, "{}", a.name);
        }
        // A bad row is found by the eager parse and by check_prices, at its line.
        let bad = PRICES_CSV.replacen(
            "Standard_D2s_v3,southcentralus,0.11,",
            "Standard_D2s_v3,southcentralus,-1,",
            1,
        );
        let e = Catalog::from_sources(SKUS_CSV, IMAGES_YAML, SYSTEM_PODS_YAML)
            .unwrap()
            .with_full_vm_tables(SIZES_CSV, &bad)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("positive price") && e.contains("line 8446"),
            "{e}"
        );
        let leaked: &'static str = Box::leak(bad.into_boxed_str());
        let lazy_bad = Catalog::from_sources(SKUS_CSV, IMAGES_YAML, SYSTEM_PODS_YAML)
            .unwrap()
            .merge_full(skus::parse_full_lazy(SIZES_CSV, leaked).unwrap());
        assert_eq!(lazy_bad.check_prices().unwrap_err().to_string(), e);
        // Rows of a size that come back after another size's are refused.
        let split = format!("{PRICES_CSV}Standard_D2s_v3,eastus,0.1,0.2,p,\n");
        let e = skus::parse_full(SIZES_CSV, &split).unwrap_err().to_string();
        assert!(e.contains("consecutive"), "{e}");
    }

    #[test]
    fn full_table_adds_sizes_and_regions_and_the_hand_table_wins() {
        let c = Catalog::builtin();
        // Sizes of real node descriptions the hand table lacks.
        for name in ["Standard_D2as_v4", "Standard_E4s_v3", "Standard_D32ads_v5"] {
            let s = c.vm_sku(name).unwrap_or_else(|| panic!("{name}"));
            assert!(s.price("southcentralus", Os::Linux).is_some(), "{name}");
        }
        let d2s = c.vm_sku("Standard_D2s_v3").unwrap();
        // Hand-checked eastus row kept, with its source; other regions from the full table.
        assert_eq!(d2s.price("eastus", Os::Linux), Some(0.096));
        assert!(d2s.prices["eastus"].source.contains("djtools"));
        assert_eq!(
            d2s.prices["southcentralus"].date.as_ref(),
            skus::FULL_PRICE_DATE
        );
        assert_eq!(d2s.price("southcentralus", Os::Linux), Some(0.11));
        // The hand table leaves documented gaps; the full table does not fill its regions.
        let d2as = c.vm_sku("Standard_D2as_v5").unwrap();
        assert_eq!(d2as.price("eastus", Os::Linux), None);
        // Constrained-core size: the node sees the active vCPUs.
        let e32_16 = c.vm_sku("Standard_E32-16s_v3").unwrap();
        assert_eq!(e32_16.vcpu, 16);
        // Eligibility: B-series never System; >= 4 vCPU System; 1 vCPU not at all.
        assert!(!c.vm_sku("Standard_B4ms").unwrap().aks_system);
        assert!(c.vm_sku("Standard_B4ms").unwrap().aks_user);
        assert!(!c.vm_sku("Standard_D2s_v3").unwrap().aks_system);
        assert!(c.vm_sku("Standard_E4s_v3").unwrap().aks_system);
        assert!(!c.vm_sku("Standard_B1s").unwrap().aks_user);
        // Zero prices in the sources are unknown, never free.
        assert!(c.vm_skus().flat_map(|s| s.prices.values()).all(|p| [
            p.linux,
            p.windows,
            p.linux_spot,
            p.windows_spot
        ]
        .iter()
        .flatten()
        .all(|&v| v > 0.0)));
        // Windows: published meters and the licence rule, each said.
        let sc = |n: &str| c.vm_sku(n).unwrap().windows_basis("southcentralus");
        assert_eq!(sc("Standard_D2s_v3"), Some(PriceBasis::Published));
        // Arm64 sizes have no Windows price at all.
        let arm = c.vm_sku("Standard_D4ps_v6").unwrap();
        assert!(arm.prices.values().all(|p| p.windows.is_none()));
        // Names-only sizes are known but carry no specs.
        assert!(c.names_only.len() > 200);
        assert!(c.names_only.keys().all(|k| c.vm_sku(k).is_none()));
    }

    #[test]
    fn vm_sku_lookup_ignores_case_and_gives_specs_and_prices() {
        let c = Catalog::builtin();
        let d4 = c.vm_sku("standard_d4s_v5").unwrap();
        assert_eq!(d4.name, "Standard_D4s_v5");
        assert_eq!(d4.vcpu, 4);
        assert_eq!(d4.memory, Bytes::gib(16));
        assert_eq!(d4.temp_disk, Bytes(0));
        assert!(!d4.ephemeral_os_disk);
        assert_eq!(d4.max_uncached_disk_mbps, Some(145));
        assert_eq!(d4.max_uncached_disk_iops, Some(6400));
        assert_eq!(d4.arch, Arch::Amd64);
        // East US list prices of Aug 2026 (djtools-azure-vm-sku-locator @823a920) equal
        // those of June 2023 (RMRanjit/SUNA-UI sample data).
        assert_eq!(d4.price("eastus", Os::Linux), Some(0.192));
        assert_eq!(d4.price("eastus", Os::Windows), Some(0.376));
        assert!(d4.spot_price("eastus", Os::Windows).is_none());
        assert!(d4.source.contains("dsv5-series.md"));
        assert_eq!(&*d4.prices["eastus"].date, "2026-08-01");
        assert_eq!(
            c.vm_sku("Standard_D8ps_v6").map(|s| s.arch),
            Some(Arch::Arm64)
        );
        assert_eq!(
            c.vm_sku("Standard_D4ds_v5").map(|s| s.temp_disk),
            Some(Bytes::gib(150))
        );
        assert!(c.vm_sku("Standard_Nope").is_none());
        // Gaps stay gaps: both price sources hold the Cloud Services (= Windows) meter as
        // D2as_v5's Linux price in eastus, so the cell is empty (docs/catalogs.md).
        let d2as = c.vm_sku("Standard_D2as_v5").unwrap();
        assert_eq!(d2as.price("eastus", Os::Linux), None);
        assert!(d2as.price("eastus", Os::Windows).is_some());
    }

    #[test]
    fn vm_skus_are_sorted_by_name() {
        let names: Vec<String> = Catalog::builtin()
            .vm_skus()
            .map(|s| s.name.to_ascii_lowercase())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    }

    #[test]
    fn images_resolve_by_key_and_by_reference() {
        let c = Catalog::builtin();
        let by_key = c.image("aspnet-4.8-ltsc2019").unwrap();
        let by_ref = c
            .image("mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019")
            .unwrap();
        assert_eq!(by_key, by_ref);
        assert_eq!(by_key.os, Os::Windows);
        assert_eq!(by_key.windows_build(), Some(17763));
        assert_eq!(
            c.image("nginx:1.31.3").map(|i| i.key.as_str()),
            Some("nginx-1.31")
        );
        assert_eq!(
            c.image("nginx:1.31").map(|i| i.key.as_str()),
            Some("nginx-1.31")
        );
        assert_eq!(
            c.image("mcr.microsoft.com/windows/servercore:1809")
                .map(|i| i.key.as_str()),
            Some("servercore-ltsc2019")
        );
        assert!(c.image("nginx:0.1").is_none());
        for key in [
            "servercore-ltsc2019",
            "aspnet-4.8-ltsc2022",
            "nanoserver-ltsc2022",
            "nginx-1.31",
        ] {
            assert!(c.image(key).is_some(), "{key}");
        }
    }

    #[test]
    fn multi_os_references_resolve_per_node_os() {
        let c = Catalog::builtin();
        let r = "mcr.microsoft.com/oss/v2/kubernetes-csi/csi-node-driver-registrar:v2.17.0";
        assert_eq!(c.image(r).map(|i| i.os), Some(Os::Linux));
        assert_eq!(
            c.image_for_os(r, Os::Windows).map(|i| i.key.as_str()),
            Some("aks-csi-node-driver-registrar-windows")
        );
        assert!(c.image_for_os("servercore-ltsc2022", Os::Linux).is_none());
    }

    fn cache_keys(os: Os, build: Option<u32>) -> Vec<&'static str> {
        Catalog::builtin()
            .node_image_cache(os, build)
            .into_iter()
            .map(|i| i.key.as_str())
            .collect()
    }

    #[test]
    fn node_image_caches_follow_agentbaker() {
        let linux = cache_keys(Os::Linux, None);
        assert!(linux.contains(&"aks-kube-proxy"));
        assert!(linux.contains(&"aks-azure-cns"));
        assert!(!linux.iter().any(|k| k.contains("servercore")));

        // The Windows base images come from the node-image table, not `cachedOn`.
        let ws22 = cache_keys(Os::Windows, Some(20348));
        assert!(ws22.contains(&"aks-cloud-node-manager-windows"));
        assert!(!ws22.iter().any(|k| k.contains("servercore")), "{ws22:?}");
        assert!(!ws22.contains(&"aks-ama-logs-windows"));

        let bases = |sku, version| -> Vec<String> {
            images::windows_base_cache(sku, version)
                .into_iter()
                .map(|i| i.name)
                .collect()
        };
        use crate::scenario::OsSku;
        let ws22 = bases(OsSku::Windows2022, None);
        for name in [
            "mcr.microsoft.com/windows/servercore:ltsc2022",
            "mcr.microsoft.com/windows/servercore:10.0.20348.5386",
            "mcr.microsoft.com/windows/nanoserver:ltsc2022",
            "mcr.microsoft.com/windows/servercore/iis:10.0.20348.5386",
        ] {
            assert!(
                ws22.contains(&name.to_owned()),
                "WS2022 caches {name}: {ws22:?}"
            );
        }
        assert_eq!(ws22.len(), 6, "3 bases x (latest, latest - 1)");
        let ws25 = bases(OsSku::Windows2025, None);
        assert!(ws25.contains(&"mcr.microsoft.com/windows/servercore:10.0.26100.33158".to_owned()));
        assert!(ws25.contains(&"mcr.microsoft.com/windows/servercore:ltsc2022".to_owned()));
        assert!(!ws25.iter().any(|n| n.contains("iis:10.0.20348")));
        assert!(
            bases(OsSku::Windows2019, None).is_empty(),
            "no ltsc2019 base cached"
        );
        assert!(bases(OsSku::Ubuntu, None).is_empty());
        // An older node image caches its own month and the one before it.
        let old = bases(
            OsSku::Windows2022,
            Some("AKSWindows-2022-containerd-20348.5386.260715"),
        );
        assert!(old.contains(&"mcr.microsoft.com/windows/servercore:10.0.20348.5386".to_owned()));
        assert!(!old.iter().any(|n| n.ends_with("ltsc2022")), "{old:?}");
        assert_eq!(
            images::node_image_cache(Os::Windows, Some(20348)).len(),
            cache_keys(Os::Windows, Some(20348)).len()
        );
    }

    #[test]
    fn images_on_one_base_share_layer_digests() {
        let c = Catalog::builtin();
        let digests = |k: &str| -> Vec<String> {
            c.image(k)
                .unwrap()
                .layers
                .iter()
                .map(|l| l.digest.clone())
                .collect()
        };
        let sc = digests("servercore-ltsc2022");
        let aspnet = digests("aspnet-4.8-ltsc2022");
        let runtime = digests("runtime-4.8-ltsc2022");
        assert_eq!(sc.len(), 2, "base + monthly delta");
        assert_eq!(aspnet[..2], sc[..]);
        assert_eq!(aspnet[..3], runtime[..]);
        assert_eq!(digests("nginx-1.31")[0], digests("debian-trixie-slim")[0]);
        assert_eq!(
            digests("aspnet-8.0-nanoserver-ltsc2022")[0],
            digests("nanoserver-ltsc2022")[0]
        );
        // Last month's servercore shares the base but not the delta; one from before the
        // base layer's refresh shares neither.
        let sc_img = c.image("servercore-ltsc2022").unwrap();
        let prev: Vec<String> = sc_img
            .at_revision(5386)
            .unwrap()
            .layers
            .iter()
            .map(|l| l.digest.clone())
            .collect();
        assert_eq!(prev[0], sc[0]);
        assert_ne!(prev[1], sc[1]);
        let old = sc_img.at_revision(4000).unwrap();
        assert!(old.layers.iter().all(|l| !sc.contains(&l.digest)));
        assert_eq!(old.size(), sc_img.size());

        // On a fresh WS2022 node only the framework layers of aspnet:4.8 are missing.
        let cached: std::collections::BTreeSet<String> =
            images::windows_base_cache(crate::scenario::OsSku::Windows2022, None)
                .iter()
                .flat_map(|i| i.layers.iter().map(|l| l.digest.clone()))
                .collect();
        let missing: Vec<&String> = aspnet.iter().filter(|d| !cached.contains(*d)).collect();
        assert_eq!(missing, [&aspnet[2], &aspnet[3]]);
    }

    #[test]
    fn image_sizes_follow_facts() {
        let c = Catalog::builtin();
        let sc = c.image("servercore-ltsc2022").unwrap();
        assert_eq!(sc.size(), Bytes(2_184_000_000), "1.489 + 0.695 GB");
        assert_eq!(sc.uncompressed_size(), Some(Bytes(3_850_000_000)));
        assert_eq!(c.image("nginx-1.31").unwrap().size(), Bytes(63_110_572));
        assert_eq!(
            c.image("servercore-ltsc2025").unwrap().uncompressed_size(),
            None
        );
        for img in c.images() {
            assert_eq!(
                img.os == Os::Windows && !img.key.starts_with("aks-"),
                img.windows_build().is_some(),
                "{}",
                img.key
            );
        }
    }
}
