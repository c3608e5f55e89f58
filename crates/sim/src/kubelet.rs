//! The kubelet side of a node: the image store (layers by digest, shared between images),
//! the image pull queue (serialized or parallel with a limit), the time a pull takes
//! (`PullTimeModel`), the start-up I/O cost of a container (`IoCostModel`), the OS and
//! Windows-build checks that make a pod fail on the node, image garbage collection and
//! the DiskPressure signal.
//!
//! The kubelet never decides scheduling and never touches `Cluster`: the engine (`run`)
//! calls it and applies what it returns. Every constant is either taken from the catalog by
//! `build` (pull rates, disks, per-file costs, start overheads) or defined here with its
//! Kubernetes source.

use std::collections::VecDeque;

use poolcast_model::scenario::{IoProfile, Os};

use crate::cluster::ImageId;
use crate::engine::SimTime;

/// `imageBackOffPeriod`: the first ImagePullBackOff wait (`pkg/kubelet/kubelet.go`,
/// `backOffPeriod = time.Second * 10`).
pub const IMAGE_BACKOFF_INITIAL_MS: u64 = 10_000;
/// `MaxContainerBackOff` / `MaxImageBackOff`: the cap of the back-off (300 s,
/// `pkg/kubelet/kubelet.go`).
pub const IMAGE_BACKOFF_MAX_MS: u64 = 300_000;
/// `imageMinimumGCAge`: an image younger than this is never garbage-collected (2 min,
/// `pkg/kubelet/apis/config/v1beta1/defaults.go`).
pub const IMAGE_MINIMUM_GC_AGE_MS: u64 = 120_000;
/// Kubelet image GC thresholds, percent of the image filesystem
/// (`imageGCHighThresholdPercent` 85, `imageGCLowThresholdPercent` 80, same file).
pub const IMAGE_GC_HIGH_PERCENT: u32 = 85;
/// See [`IMAGE_GC_HIGH_PERCENT`].
pub const IMAGE_GC_LOW_PERCENT: u32 = 80;
/// The back-off after the `failures`-th consecutive failure (1-based): 10 s, 20 s, 40 s,
/// ... capped at 300 s (kubelet `flowcontrol.Backoff` with the constants above).
pub fn image_backoff_ms(failures: u32) -> u64 {
    let shift = failures.saturating_sub(1).min(20);
    (IMAGE_BACKOFF_INITIAL_MS << shift).min(IMAGE_BACKOFF_MAX_MS)
}

/// containerd's `checkWindowsHostAndContainerCompat` (containerd/platforms
/// `platform_windows_compat.go`), shared with validation in `poolcast_model::windows`: a
/// host older than Windows Server 2022 runs only images of its exact build; a newer host
/// runs images from the previous LTSC (20348) up to its own build. Process isolation is
/// the only mode AKS supports (`windows-best-practices.md`).
pub fn windows_compatible(host_build: u32, image_build: u32) -> bool {
    poolcast_model::windows::windows_build_runs(host_build, image_build)
}

/// Why an image cannot run on a node, found before or after the pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsCheck {
    /// The image may run.
    Ok,
    /// Image OS differs from node OS: the pull fails (`no match for platform in manifest`).
    OsMismatch,
    /// Windows image build not runnable on the host build: container creation fails
    /// (`HCS_E_IMAGE_MISMATCH`).
    OsVersionMismatch,
}

/// Checks `image` (OS, build) against the node (OS, build).
pub fn check_os(
    node_os: Os,
    node_build: Option<u32>,
    image_os: Os,
    image_build: Option<u32>,
) -> OsCheck {
    if node_os != image_os {
        return OsCheck::OsMismatch;
    }
    match (node_build, image_build) {
        (Some(h), Some(i)) if !windows_compatible(h, i) => OsCheck::OsVersionMismatch,
        _ => OsCheck::Ok,
    }
}

/// Checks a multi-platform image against the node: the image runs when any platform
/// does, as containerd picks the manifest-list entry matching the host (containerd/platforms
/// `windowsVersionMatcher`: an entry without `os.version` matches every Windows host).
/// `OsMismatch` when no platform has the node's OS, `OsVersionMismatch` when some do but
/// none of their builds runs on the host.
pub fn check_platforms(
    node_os: Os,
    node_build: Option<u32>,
    platforms: impl IntoIterator<Item = crate::cluster::ImagePlatform>,
) -> OsCheck {
    let mut worst = OsCheck::OsMismatch;
    for p in platforms {
        match check_os(node_os, node_build, p.os, p.windows_build) {
            OsCheck::Ok => return OsCheck::Ok,
            OsCheck::OsVersionMismatch => worst = OsCheck::OsVersionMismatch,
            OsCheck::OsMismatch => {}
        }
    }
    worst
}

/// A layer known to the run, deduplicated by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    /// Content digest.
    pub digest: String,
    /// Compressed (download) bytes.
    pub size: u64,
    /// Bytes on disk once extracted.
    pub uncompressed: u64,
    /// Files in the layer (each costs the Windows snapshotter a fixed time).
    pub files: u64,
}

/// A layer, index into `LayerTable::layers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LayerId(pub u32);

/// All layers and which images use them.
#[derive(Debug, Clone, Default)]
pub struct LayerTable {
    /// Layers by id.
    pub layers: Vec<LayerInfo>,
    /// Layers of each image (by `ImageId`), base first.
    pub image_layers: Vec<Vec<LayerId>>,
}

impl LayerTable {
    /// Interns a layer by digest; the first definition of a digest wins.
    pub fn intern(&mut self, layer: LayerInfo) -> LayerId {
        if let Some(i) = self.layers.iter().position(|l| l.digest == layer.digest) {
            return LayerId(i as u32);
        }
        self.layers.push(layer);
        LayerId(self.layers.len() as u32 - 1)
    }

    /// Registers the layers of the next image id; call in `ImageId` order.
    pub fn push_image(&mut self, layers: Vec<LayerId>) {
        self.image_layers.push(layers);
    }

    /// The layer record.
    pub fn layer(&self, l: LayerId) -> &LayerInfo {
        &self.layers[l.0 as usize]
    }

    /// Sum of uncompressed sizes of an image's distinct layers.
    pub fn image_uncompressed(&self, image: ImageId) -> u64 {
        self.image_layers[image.idx()]
            .iter()
            .map(|&l| self.layer(l).uncompressed)
            .sum()
    }
}

/// Rates a pull runs at on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullLink {
    /// Download bytes/s: min(registry bandwidth, VM NIC).
    pub download_bps: u64,
    /// Extraction bytes/s (uncompressed): min(the OS/snapshotter rate, the OS disk's write
    /// rate).
    pub extract_bps: u64,
    /// Extraction time per file, microseconds (Windows NTFS snapshotter; 0 on Linux).
    pub per_file_us: u64,
    /// Fixed time of the pull before layers move (manifest resolution), ms.
    pub setup_ms: u64,
}

impl PullLink {
    /// Milliseconds to unpack one layer on this link: its files at the per-file cost plus
    /// its bytes at the extraction rate.
    pub fn extract_ms(&self, l: &LayerInfo) -> u64 {
        let files_ms = l.files.saturating_mul(self.per_file_us).div_ceil(1000);
        files_ms.saturating_add(ms_for(l.uncompressed, self.extract_bps))
    }

    /// Milliseconds to download one layer on this link.
    pub fn download_ms(&self, l: &LayerInfo) -> u64 {
        ms_for(l.size, self.download_bps)
    }
}

/// How long fetching and unpacking a set of missing layers takes.
pub trait PullTimeModel {
    /// Milliseconds to pull `layers` of `table` (only those missing on the node), base
    /// first.
    fn pull_ms(&self, layers: &[LayerId], table: &LayerTable, link: PullLink) -> u64;

    /// When each of `layers` downloads and unpacks, in ms from the start of the pull, for
    /// the pull breakdown and `explain`. The default is the pipelined schedule of
    /// [`PipelinedPull`]; a model with another schedule overrides it so that the last
    /// span ends at `pull_ms`.
    fn layer_spans(&self, layers: &[LayerId], table: &LayerTable, link: PullLink) -> Vec<Span> {
        pipelined_spans(layers, table, link)
    }
}

/// One layer's stages within a pull, ms from the pull's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Download start and end.
    pub download: (u64, u64),
    /// Extraction start and end.
    pub extract: (u64, u64),
}

/// The schedule behind [`PipelinedPull`]: after the pull's setup, downloads back to back,
/// each unpack after its download and the previous unpack.
pub fn pipelined_spans(layers: &[LayerId], table: &LayerTable, link: PullLink) -> Vec<Span> {
    let mut out = Vec::with_capacity(layers.len());
    let (mut downloaded, mut extracted) = (link.setup_ms, link.setup_ms);
    for &id in layers {
        let l = table.layer(id);
        let d0 = downloaded;
        downloaded = downloaded.saturating_add(link.download_ms(l));
        let e0 = downloaded.max(extracted);
        extracted = e0.saturating_add(link.extract_ms(l));
        out.push(Span {
            download: (d0, downloaded),
            extract: (e0, extracted),
        });
    }
    out
}

/// The default pull model: after a fixed setup (manifest resolution), layers download one
/// after another at the link rate, and each layer is unpacked after its download and after
/// the previous layer's unpack (containerd fetches ahead but applies layers in order, each
/// once its blob is complete; the Windows snapshotter writes every file to NTFS,
/// containerd#8346). A layer unpacks in `files x per-file cost + bytes / rate`, so on
/// Windows a file-dense servercore layer is slow and a single-file layer runs at the disk
/// rate. For a single layer this is download + extraction; for many layers it approaches
/// the slower of the two stages. Calibrated against AKS kubelet pull events
/// (docs/calibration.md).
#[derive(Debug, Clone, Copy, Default)]
pub struct PipelinedPull;

/// Milliseconds to move `bytes` at `bps`, rounded up (0 bytes take 0 ms).
pub(crate) fn ms_for(bytes: u64, bps: u64) -> u64 {
    if bytes == 0 {
        return 0;
    }
    let bps = u128::from(bps.max(1));
    let ms = (u128::from(bytes) * 1000).div_ceil(bps);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

impl PullTimeModel for PipelinedPull {
    fn pull_ms(&self, layers: &[LayerId], table: &LayerTable, link: PullLink) -> u64 {
        let mut downloaded = link.setup_ms;
        let mut extracted = link.setup_ms;
        for &id in layers {
            let l = table.layer(id);
            downloaded = downloaded.saturating_add(link.download_ms(l));
            extracted = downloaded.max(extracted).saturating_add(link.extract_ms(l));
        }
        extracted
    }
}

/// Per-file costs of one OS's container filesystem, in microseconds (`catalog::disks::per_file_costs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileCosts {
    /// Open + close of an existing file.
    pub open_us: u64,
    /// Create + small write + close.
    pub create_us: u64,
    /// Multiplier of the container layer (overlayfs, wcifs scratch) in per-mille.
    pub layer_multiplier_permille: u64,
    /// Antivirus surcharge on the first open of an unscanned file (Defender on Windows).
    pub first_open_scan_us: u64,
    /// Antivirus surcharge per written file.
    pub write_scan_us: u64,
}

/// The disk a container reads from (the node's OS disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskPerf {
    /// Read/write bytes/s available to the container.
    pub bytes_per_sec: u64,
}

/// How long a container's start-up I/O takes.
pub trait IoCostModel {
    /// Milliseconds of start-up I/O for `io` on a node with `costs` and `disk`.
    fn startup_io_ms(&self, io: &IoProfile, costs: &FileCosts, disk: DiskPerf) -> u64;
}

/// The default I/O model: every opened file pays the open cost times the
/// container-layer multiplier plus the antivirus first-open surcharge, every written file
/// the create cost times the multiplier plus the write scan, and the bytes read at start
/// are charged at the disk rate (a fresh container has a cold page cache).
#[derive(Debug, Clone, Copy, Default)]
pub struct PerFileIoCost;

impl IoCostModel for PerFileIoCost {
    fn startup_io_ms(&self, io: &IoProfile, costs: &FileCosts, disk: DiskPerf) -> u64 {
        let opened = io.small_files.unwrap_or(0);
        let written = io.files_written.unwrap_or(0);
        let mult = costs.layer_multiplier_permille.max(1);
        let open_us = opened
            .saturating_mul(costs.open_us.saturating_mul(mult) / 1000 + costs.first_open_scan_us);
        let write_us = written
            .saturating_mul(costs.create_us.saturating_mul(mult) / 1000 + costs.write_scan_us);
        let bytes = io.startup_read.map(|b| b.get()).unwrap_or(0);
        let read_ms = ms_for(bytes, disk.bytes_per_sec);
        (open_us.saturating_add(write_us)).div_ceil(1000) + read_ms
    }
}

/// Everything about a node's kubelet that `build` takes from the catalog and the scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeletParams {
    /// Node OS.
    pub os: Os,
    /// Windows build of the node.
    pub windows_build: Option<u32>,
    /// `serializeImagePulls`.
    pub serialize_image_pulls: bool,
    /// `maxParallelImagePulls` when not serialized (None = unlimited).
    pub max_parallel_image_pulls: Option<u32>,
    /// VM NIC bytes/s.
    pub nic_bps: u64,
    /// Extraction bytes/s (snapshotter rate capped by the disk's sustained rate).
    pub extract_bps: u64,
    /// Extraction bytes/s while the disk bursts.
    pub extract_burst_bps: u64,
    /// Extraction time per file, microseconds (Windows NTFS snapshotter; 0 on Linux).
    pub extract_per_file_us: u64,
    /// Fixed setup of every pull (manifest resolution), ms.
    pub pull_setup_ms: u64,
    /// OS disk bytes/s (container I/O), sustained.
    pub disk_bps: u64,
    /// OS disk bytes/s while bursting.
    pub disk_burst_bps: u64,
    /// How long a fresh node's disk bursts (0: no burst).
    pub burst_ms: u64,
    /// OS disk size in bytes.
    pub disk_capacity: u64,
    /// Bytes the OS and node image take before any pull.
    pub disk_base_used: u64,
    /// Image GC thresholds (percent).
    pub gc_high_percent: u32,
    /// See `gc_high_percent`.
    pub gc_low_percent: u32,
    /// `nodefs.available` eviction threshold in percent; `None` on AKS Windows nodes, which
    /// run with an empty `--eviction-hard` and so fail pulls on a full disk instead.
    pub eviction_percent: Option<u32>,
    /// Container start overhead (runtime create + start, ms).
    pub start_overhead_ms: u64,
    /// Per-file I/O costs.
    pub file_costs: FileCosts,
}

impl KubeletParams {
    /// Extraction rate for a node `age_ms` old (burst credits last `burst_ms`).
    pub fn extract_rate(&self, age_ms: u64) -> u64 {
        if age_ms < self.burst_ms {
            self.extract_burst_bps
        } else {
            self.extract_bps
        }
    }

    /// The link one pull of an image from a registry at `registry_bps` runs at on a node
    /// `age_ms` old, nothing else in flight: download at min(registry, NIC), extraction at
    /// the node's rate (burst while credits last) plus the per-file cost.
    pub fn pull_link(&self, age_ms: u64, registry_bps: u64) -> PullLink {
        PullLink {
            download_bps: registry_bps.min(self.nic_bps).max(1),
            extract_bps: self.extract_rate(age_ms).max(1),
            per_file_us: self.extract_per_file_us,
            setup_ms: self.pull_setup_ms,
        }
    }

    /// Disk rate for container I/O on a node `age_ms` old.
    pub fn disk_rate(&self, age_ms: u64) -> u64 {
        if age_ms < self.burst_ms {
            self.disk_burst_bps
        } else {
            self.disk_bps
        }
    }
}

/// An image's state on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSlot {
    /// Not on the node.
    Absent,
    /// Queued for the puller.
    Queued,
    /// Being pulled; done at this time.
    Pulling(SimTime),
    /// Present since `pulled`, last used by a container at `last_used`.
    Present {
        /// When it arrived.
        pulled: SimTime,
        /// When a container last used it.
        last_used: SimTime,
    },
}

/// What happened when a pull was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullRequest {
    /// Already on the node.
    Present,
    /// Already queued or pulling: wait for its `PullDone`.
    InProgress,
    /// Queued behind other pulls.
    Queued,
    /// Started now; done at this time.
    Started(SimTime),
}

/// Outcome of starting a pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullStart {
    /// Pulling, done at this time.
    Started(ImageId, SimTime),
    /// Not enough disk left even after image GC.
    NoSpace(ImageId),
}

/// The kubelet state of one node.
#[derive(Debug, Clone)]
pub struct Kubelet {
    /// Parameters.
    pub params: KubeletParams,
    images: Vec<ImageSlot>,
    image_users: Vec<u32>,
    layer_refs: Vec<u32>,
    layer_inflight: Vec<Option<SimTime>>,
    queue: VecDeque<ImageId>,
    active_pulls: u32,
    missing: Vec<LayerId>,
    /// Bytes used on the OS disk (base + layers, including layers being pulled).
    pub disk_used: u64,
    /// The node reports DiskPressure.
    pub disk_pressure: bool,
    /// False once the node failed: nothing progresses.
    pub alive: bool,
    /// Where layers came from and how the last pull of each image went.
    pub log: PullLog,
}

impl Kubelet {
    /// A kubelet with no images, sized for `n_images` and `n_layers`.
    pub fn new(params: KubeletParams, n_images: usize, n_layers: usize) -> Kubelet {
        let base = params.disk_base_used;
        Kubelet {
            params,
            images: vec![ImageSlot::Absent; n_images],
            image_users: vec![0; n_images],
            layer_refs: vec![0; n_layers],
            layer_inflight: vec![None; n_layers],
            queue: VecDeque::new(),
            active_pulls: 0,
            missing: Vec::new(),
            disk_used: base,
            disk_pressure: false,
            alive: true,
            log: PullLog::new(n_images, n_layers),
        }
    }

    /// The state of `image`.
    pub fn slot(&self, image: ImageId) -> ImageSlot {
        self.images[image.idx()]
    }

    /// True when `image` is fully on the node.
    pub fn has_image(&self, image: ImageId) -> bool {
        matches!(self.images[image.idx()], ImageSlot::Present { .. })
    }

    /// Places an image on the node without a pull (node-image cache, pre-pulled, imported).
    /// Layers already present are not counted twice.
    pub fn preload(&mut self, image: ImageId, table: &LayerTable, now: SimTime) {
        if self.has_image(image) {
            return;
        }
        for &l in &table.image_layers[image.idx()] {
            let r = &mut self.layer_refs[l.0 as usize];
            if *r == 0 {
                self.disk_used = self.disk_used.saturating_add(table.layer(l).uncompressed);
            }
            *r += 1;
        }
        self.images[image.idx()] = ImageSlot::Present {
            pulled: now,
            last_used: now,
        };
    }

    /// Images present on the node, in id order.
    pub fn present_images(&self) -> impl Iterator<Item = ImageId> + '_ {
        self.images
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, ImageSlot::Present { .. }))
            .map(|(i, _)| ImageId(i as u32))
    }

    /// A pod bound to the node uses `image` (its containers keep it from GC).
    pub fn add_user(&mut self, image: ImageId) {
        self.image_users[image.idx()] += 1;
    }

    /// A pod using `image` left the node.
    pub fn remove_user(&mut self, image: ImageId, now: SimTime) {
        let u = &mut self.image_users[image.idx()];
        *u = u.saturating_sub(1);
        if let ImageSlot::Present { pulled, .. } = self.images[image.idx()] {
            self.images[image.idx()] = ImageSlot::Present {
                pulled,
                last_used: now,
            };
        }
    }

    /// Marks `image` used by a starting container (LRU order of GC).
    pub fn touch(&mut self, image: ImageId, now: SimTime) {
        if let ImageSlot::Present { pulled, .. } = self.images[image.idx()] {
            self.images[image.idx()] = ImageSlot::Present {
                pulled,
                last_used: now,
            };
        }
    }

    fn pull_slots_free(&self) -> bool {
        if self.params.serialize_image_pulls {
            self.active_pulls == 0
        } else {
            match self.params.max_parallel_image_pulls {
                Some(m) => self.active_pulls < m.max(1),
                None => true,
            }
        }
    }

    /// Asks for `image`. Queues it when the puller is busy; otherwise the caller must start
    /// it with `start_next` (which applies the pull model and the disk check).
    pub fn request(&mut self, image: ImageId) -> PullRequest {
        match self.images[image.idx()] {
            ImageSlot::Present { .. } => PullRequest::Present,
            ImageSlot::Queued | ImageSlot::Pulling(_) => PullRequest::InProgress,
            ImageSlot::Absent => {
                self.images[image.idx()] = ImageSlot::Queued;
                self.queue.push_back(image);
                PullRequest::Queued
            }
        }
    }

    /// Starts queued pulls while the puller has free slots, appending what happened to
    /// `started`. Each pull's time comes from `model`; with parallel pulls the node's NIC,
    /// disk and snapshotter are shared equally among the pulls running when
    /// it starts, each pull keeping its registry's per-pull rate (an approximation: rates are
    /// not re-balanced as pulls finish).
    pub fn start_next(
        &mut self,
        now: SimTime,
        table: &LayerTable,
        mut link_for: impl FnMut(ImageId) -> PullLink,
        model: &dyn PullTimeModel,
        started: &mut Vec<PullStart>,
    ) {
        if !self.alive {
            return;
        }
        while self.pull_slots_free() {
            let Some(image) = self.queue.pop_front() else {
                break;
            };
            self.missing.clear();
            let mut wait_until = now;
            let mut need = 0u64;
            for &l in &table.image_layers[image.idx()] {
                let li = l.0 as usize;
                if self.layer_refs[li] > 0 || self.missing.contains(&l) {
                    continue;
                }
                if let Some(t) = self.layer_inflight[li] {
                    wait_until = wait_until.max(t);
                    continue;
                }
                self.missing.push(l);
                need = need.saturating_add(table.layer(l).uncompressed);
            }
            if self.disk_used.saturating_add(need) > self.params.disk_capacity {
                self.images[image.idx()] = ImageSlot::Absent;
                started.push(PullStart::NoSpace(image));
                continue;
            }
            let share = if self.params.serialize_image_pulls {
                1
            } else {
                u64::from(self.active_pulls) + 1
            };
            let base = link_for(image);
            let link = PullLink {
                // A registry serves each pull at its own per-pull rate (one stream per
                // layer blob); the NIC, the disk and the snapshotter are the node's and are
                // shared. Parallel pulls therefore gain when the registry, not the node,
                // is the limit (serialized 65.8 s vs parallel 29.2 s for ten images,
                // deckhouse/deckhouse#20415).
                download_bps: base.download_bps.min(self.params.nic_bps / share).max(1),
                extract_bps: (base.extract_bps / share).max(1),
                per_file_us: base.per_file_us.saturating_mul(share),
                setup_ms: base.setup_ms,
            };
            let active_ms = model.pull_ms(&self.missing, table, link);
            let done = now.plus_ms(active_ms).max(wait_until);
            self.record_pull(image, (now, done, active_ms), table, link, model);
            for l in &self.missing {
                self.layer_inflight[l.0 as usize] = Some(done);
            }
            self.disk_used = self.disk_used.saturating_add(need);
            self.images[image.idx()] = ImageSlot::Pulling(done);
            self.active_pulls += 1;
            started.push(PullStart::Started(image, done));
        }
    }

    /// A pull finished: the image and its layers are present; frees a puller slot.
    pub fn finish_pull(&mut self, image: ImageId, table: &LayerTable, now: SimTime) {
        if !matches!(self.images[image.idx()], ImageSlot::Pulling(_)) {
            return;
        }
        self.active_pulls = self.active_pulls.saturating_sub(1);
        for &l in &table.image_layers[image.idx()] {
            let li = l.0 as usize;
            if self.layer_inflight[li].is_some_and(|t| t <= now) {
                self.layer_inflight[li] = None;
            }
            self.layer_refs[li] += 1;
        }
        self.images[image.idx()] = ImageSlot::Present {
            pulled: now,
            last_used: now,
        };
    }

    /// Percent of the OS disk in use (rounded down).
    pub fn disk_used_percent(&self) -> u32 {
        if self.params.disk_capacity == 0 {
            return 100;
        }
        (u128::from(self.disk_used) * 100 / u128::from(self.params.disk_capacity)) as u32
    }

    /// Image GC (`ImageGCManager.GarbageCollect`, `pkg/kubelet/images/image_gc_manager.go`):
    /// when usage is at or above the high threshold, delete unused images older than
    /// `imageMinimumGCAge`, least recently used first, until usage is below the low
    /// threshold. Returns the images removed.
    pub fn garbage_collect(&mut self, table: &LayerTable, now: SimTime) -> Vec<ImageId> {
        let mut removed = Vec::new();
        if self.disk_used_percent() < self.params.gc_high_percent {
            return removed;
        }
        let target =
            u128::from(self.params.disk_capacity) * u128::from(self.params.gc_low_percent) / 100;
        let mut candidates: Vec<(SimTime, ImageId)> = self
            .images
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match *s {
                ImageSlot::Present { pulled, last_used }
                    if self.image_users[i] == 0 && now.since(pulled) >= IMAGE_MINIMUM_GC_AGE_MS =>
                {
                    Some((last_used, ImageId(i as u32)))
                }
                _ => None,
            })
            .collect();
        candidates.sort_unstable();
        for (_, image) in candidates {
            if u128::from(self.disk_used) < target {
                break;
            }
            self.remove_image(image, table);
            removed.push(image);
        }
        removed
    }

    fn remove_image(&mut self, image: ImageId, table: &LayerTable) {
        for &l in &table.image_layers[image.idx()] {
            let li = l.0 as usize;
            let r = &mut self.layer_refs[li];
            *r = r.saturating_sub(1);
            if *r == 0 && self.layer_inflight[li].is_none() {
                self.disk_used = self.disk_used.saturating_sub(table.layer(l).uncompressed);
            }
        }
        self.images[image.idx()] = ImageSlot::Absent;
    }

    /// True when free space is below the eviction threshold (`nodefs.available`).
    pub fn under_disk_pressure(&self) -> bool {
        match self.params.eviction_percent {
            None => false,
            Some(p) => {
                let free = self.params.disk_capacity.saturating_sub(self.disk_used);
                u128::from(free) * 100 < u128::from(self.params.disk_capacity) * u128::from(p)
            }
        }
    }

    /// The node failed: queued pulls are dropped and nothing starts any more.
    pub fn fail(&mut self) {
        self.alive = false;
        while let Some(i) = self.queue.pop_front() {
            self.images[i.idx()] = ImageSlot::Absent;
        }
    }

    /// Number of pulls running.
    pub fn active_pulls(&self) -> u32 {
        self.active_pulls
    }
}

// ---- pull breakdown: where layers came from, how each pull went ----------------------

/// Why a layer was already on the node: what the kubelet knows of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerOrigin {
    /// Cached by the node image (VHD) the node booted from.
    NodeImage,
    /// Pulled when the node was created: the pool's `prePulledImages`.
    PrePulled,
    /// On the node in the imported cluster dump (`status.images`).
    Imported,
    /// Fetched by an earlier pull of `image`, present since `done`.
    Pulled {
        /// The image whose pull fetched it.
        image: ImageId,
        /// When that pull finished.
        done: SimTime,
    },
}

/// A layer's part in one pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerState {
    /// Already on the node: nothing to fetch.
    Cached(LayerOrigin),
    /// Being fetched by another pull in progress, done at this time.
    Shared(SimTime),
    /// Fetched by this pull.
    Fetched(Span),
}

/// How one pull of an image went on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullTrace {
    /// When the image was asked for (queued).
    pub queued: SimTime,
    /// When the puller started it.
    pub started: SimTime,
    /// When it was on the node.
    pub done: SimTime,
    /// Time the pull model gave its own layers (`done - started` unless it waited for a
    /// shared layer).
    pub active_ms: u64,
    /// The rates it ran at (the pull's share of the link, after `sim.variability`).
    pub link: PullLink,
    /// Every layer of the image, base first.
    pub layers: Vec<(LayerId, LayerState)>,
}

impl PullTrace {
    /// Compressed bytes this pull downloaded.
    pub fn bytes(&self, table: &LayerTable) -> u64 {
        self.fetched(table).map(|(l, _)| l.size).sum()
    }

    /// Bytes this pull unpacked.
    pub fn unpacked_bytes(&self, table: &LayerTable) -> u64 {
        self.fetched(table).map(|(l, _)| l.uncompressed).sum()
    }

    /// Sum of the layers' download times.
    pub fn download_ms(&self, table: &LayerTable) -> u64 {
        self.fetched(table)
            .map(|(_, s)| s.download.1 - s.download.0)
            .sum()
    }

    /// Sum of the layers' extraction times.
    pub fn extraction_ms(&self, table: &LayerTable) -> u64 {
        self.fetched(table)
            .map(|(_, s)| s.extract.1 - s.extract.0)
            .sum()
    }

    fn fetched<'t>(&'t self, table: &'t LayerTable) -> impl Iterator<Item = (&'t LayerInfo, Span)> {
        self.layers.iter().filter_map(|&(l, st)| match st {
            LayerState::Fetched(s) => Some((table.layer(l), s)),
            _ => None,
        })
    }
}

/// Per node: each present layer's origin, when each image was queued, and the last pull
/// of each image.
#[derive(Debug, Clone, Default)]
pub struct PullLog {
    origin: Vec<Option<LayerOrigin>>,
    queued: Vec<SimTime>,
    last: Vec<Option<PullTrace>>,
}

impl PullLog {
    fn new(n_images: usize, n_layers: usize) -> PullLog {
        PullLog {
            origin: vec![None; n_layers],
            queued: vec![SimTime::ZERO; n_images],
            last: vec![None; n_images],
        }
    }

    /// The last pull of `image` on the node.
    pub fn last_pull(&self, image: ImageId) -> Option<&PullTrace> {
        self.last.get(image.idx()).and_then(Option::as_ref)
    }

    /// Where a layer present on the node came from.
    pub fn origin(&self, layer: LayerId) -> Option<LayerOrigin> {
        self.origin.get(layer.0 as usize).copied().flatten()
    }
}

impl Kubelet {
    /// [`Kubelet::preload`] that records why the new layers are there.
    pub fn preload_from(
        &mut self,
        image: ImageId,
        table: &LayerTable,
        now: SimTime,
        origin: LayerOrigin,
    ) {
        if self.has_image(image) {
            return;
        }
        for &l in &table.image_layers[image.idx()] {
            if self.layer_refs[l.0 as usize] == 0 {
                self.log.origin[l.0 as usize] = Some(origin);
            }
        }
        self.preload(image, table, now);
    }

    /// [`Kubelet::request`] that remembers when a queued image was asked for.
    pub fn request_at(&mut self, image: ImageId, now: SimTime) -> PullRequest {
        let r = self.request(image);
        if r == PullRequest::Queued {
            self.log.queued[image.idx()] = now;
        }
        r
    }

    /// The layer of each layer of `image` when a pull starts; `self.missing` holds the
    /// layers this pull fetches.
    fn record_pull(
        &mut self,
        image: ImageId,
        (now, done, active_ms): (SimTime, SimTime, u64),
        table: &LayerTable,
        link: PullLink,
        model: &dyn PullTimeModel,
    ) {
        let spans = model.layer_spans(&self.missing, table, link);
        let mut layers = Vec::with_capacity(table.image_layers[image.idx()].len());
        for &l in &table.image_layers[image.idx()] {
            let li = l.0 as usize;
            let state = if self.layer_refs[li] > 0 {
                match self.log.origin[li] {
                    Some(o) => LayerState::Cached(o),
                    None => LayerState::Cached(LayerOrigin::NodeImage),
                }
            } else if let Some(i) = self.missing.iter().position(|&m| m == l) {
                LayerState::Fetched(spans[i])
            } else {
                LayerState::Shared(self.layer_inflight[li].unwrap_or(done))
            };
            layers.push((l, state));
        }
        for &l in &self.missing {
            self.log.origin[l.0 as usize] = Some(LayerOrigin::Pulled { image, done });
        }
        let queued = self.log.queued[image.idx()].min(now);
        self.log.last[image.idx()] = Some(PullTrace {
            queued,
            started: now,
            done,
            active_ms,
            link,
            layers,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(d: &str, size: u64, unc: u64) -> LayerInfo {
        LayerInfo {
            digest: d.into(),
            size,
            uncompressed: unc,
            files: 0,
        }
    }

    fn params(serial: bool, cap: u64) -> KubeletParams {
        KubeletParams {
            os: Os::Windows,
            windows_build: Some(20348),
            serialize_image_pulls: serial,
            max_parallel_image_pulls: None,
            nic_bps: 1_000_000_000,
            extract_bps: 20_000_000,
            extract_burst_bps: 20_000_000,
            extract_per_file_us: 0,
            pull_setup_ms: 0,
            disk_bps: 100_000_000,
            disk_burst_bps: 100_000_000,
            burst_ms: 0,
            disk_capacity: cap,
            disk_base_used: 0,
            gc_high_percent: 85,
            gc_low_percent: 80,
            eviction_percent: None,
            start_overhead_ms: 0,
            file_costs: FileCosts::default(),
        }
    }

    #[test]
    fn ms_for_rounds_up() {
        assert_eq!(ms_for(0, 10), 0);
        assert_eq!(ms_for(1, 1000), 1);
        assert_eq!(ms_for(1001, 1000), 1001);
        assert_eq!(ms_for(5, 0), 5000);
    }

    #[test]
    fn backoff_doubles_from_10s_to_300s() {
        let got: Vec<u64> = (1..=7).map(image_backoff_ms).collect();
        assert_eq!(
            got,
            [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]
        );
        assert_eq!(image_backoff_ms(1000), 300_000);
    }

    #[test]
    fn windows_compat_follows_containerd() {
        // (host, image, compatible): containerd/platforms platform_windows_compat_test.go.
        let cases = [
            (17763, 17763, true),
            (17763, 20348, false),
            (20348, 17763, false),
            (20348, 20348, true),
            (20348, 26100, false),
            (26100, 20348, true),
            (26100, 26100, true),
            (26100, 17763, false),
        ];
        for (h, i, ok) in cases {
            assert_eq!(windows_compatible(h, i), ok, "host {h} image {i}");
        }
        assert_eq!(
            check_os(Os::Linux, None, Os::Windows, Some(20348)),
            OsCheck::OsMismatch
        );
        assert_eq!(
            check_os(Os::Windows, Some(20348), Os::Windows, Some(17763)),
            OsCheck::OsVersionMismatch
        );
        assert_eq!(check_os(Os::Linux, None, Os::Linux, None), OsCheck::Ok);
    }

    #[test]
    fn manifest_lists_match_any_platform() {
        use crate::cluster::ImagePlatform;
        let p = |os, windows_build| ImagePlatform { os, windows_build };
        let registrar = [
            p(Os::Linux, None),
            p(Os::Windows, Some(17763)),
            p(Os::Windows, Some(20348)),
        ];
        let win22 = [p(Os::Windows, Some(20348))];
        let host_process = [p(Os::Linux, None), p(Os::Windows, None)];
        let cases: [(&[ImagePlatform], Os, Option<u32>, OsCheck); 9] = [
            (&registrar, Os::Linux, None, OsCheck::Ok),
            (&registrar, Os::Windows, Some(17763), OsCheck::Ok),
            (&registrar, Os::Windows, Some(20348), OsCheck::Ok),
            (&registrar, Os::Windows, Some(26100), OsCheck::Ok),
            (&win22, Os::Windows, Some(17763), OsCheck::OsVersionMismatch),
            (&win22, Os::Linux, None, OsCheck::OsMismatch),
            (&host_process, Os::Windows, Some(17763), OsCheck::Ok),
            (&host_process, Os::Windows, Some(26100), OsCheck::Ok),
            (&[], Os::Linux, None, OsCheck::OsMismatch),
        ];
        for (platforms, os, build, want) in cases {
            assert_eq!(
                check_platforms(os, build, platforms.iter().copied()),
                want,
                "{platforms:?} on {os} {build:?}"
            );
        }
    }

    #[test]
    fn pipelined_pull_times() {
        let link = PullLink {
            download_bps: 100_000_000,
            extract_bps: 20_000_000,
            per_file_us: 0,
            setup_ms: 0,
        };
        let mut t = LayerTable::default();
        let a = t.intern(layer("a", 1_000_000_000, 2_000_000_000));
        let b = t.intern(layer("b", 500_000_000, 400_000_000));
        // One layer: 10 s download + 100 s extraction.
        assert_eq!(PipelinedPull.pull_ms(&[a], &t, link), 110_000);
        // Two layers: the second downloads during the first extraction.
        assert_eq!(PipelinedPull.pull_ms(&[a, b], &t, link), 130_000);
        assert_eq!(PipelinedPull.pull_ms(&[], &t, link), 0);
        // Files cost on top of bytes; the setup comes first.
        let mut f = LayerTable::default();
        let dense = f.intern(LayerInfo {
            files: 10_000,
            ..layer("dense", 1_000_000_000, 2_000_000_000)
        });
        let windows = PullLink {
            per_file_us: 1_000,
            setup_ms: 350,
            ..link
        };
        // 0.35 s + 10 s download + (10 s of files + 100 s of bytes).
        assert_eq!(PipelinedPull.pull_ms(&[dense], &f, windows), 120_350);
        assert_eq!(PipelinedPull.pull_ms(&[], &f, windows), 350);
    }

    #[test]
    fn shared_layers_are_pulled_once_and_serial_pulls_queue() {
        let mut t = LayerTable::default();
        let base = t.intern(layer("base", 1_000_000_000, 2_000_000_000));
        let app1 = t.intern(layer("app1", 100_000_000, 200_000_000));
        let app2 = t.intern(layer("app2", 100_000_000, 200_000_000));
        assert_eq!(t.intern(layer("base", 1, 1)), base);
        t.push_image(vec![base, app1]);
        t.push_image(vec![base, app2]);
        let (i1, i2) = (ImageId(0), ImageId(1));
        let mut k = Kubelet::new(params(true, 100_000_000_000), 2, 3);
        let link = |_| PullLink {
            download_bps: 100_000_000,
            extract_bps: 20_000_000,
            per_file_us: 0,
            setup_ms: 0,
        };
        assert_eq!(k.request(i1), PullRequest::Queued);
        assert_eq!(k.request(i2), PullRequest::Queued);
        assert_eq!(k.request(i1), PullRequest::InProgress);
        let mut s = Vec::new();
        k.start_next(SimTime(0), &t, link, &PipelinedPull, &mut s);
        // Serialized: only the first starts. base: 10 s + 100 s; app1 downloads by 11 s,
        // extracts 10 s after base: 120 s.
        assert_eq!(s, vec![PullStart::Started(i1, SimTime(120_000))]);
        k.finish_pull(i1, &t, SimTime(120_000));
        s.clear();
        k.start_next(SimTime(120_000), &t, link, &PipelinedPull, &mut s);
        // Only app2 is missing: 1 s + 10 s.
        assert_eq!(s, vec![PullStart::Started(i2, SimTime(131_000))]);
        k.finish_pull(i2, &t, SimTime(131_000));
        assert_eq!(k.disk_used, 2_400_000_000);
    }

    #[test]
    fn parallel_pulls_keep_the_registry_rate_and_share_the_disk() {
        let mut t = LayerTable::default();
        for i in 0..2 {
            let l = t.intern(layer(&format!("l{i}"), 100_000_000, 200_000_000));
            t.push_image(vec![l]);
        }
        let mut k = Kubelet::new(params(false, 100_000_000_000), 2, 2);
        // A 10 MB/s registry, far below the 1 GB/s NIC: each pull downloads at 10 MB/s.
        let link = |_| PullLink {
            download_bps: 10_000_000,
            extract_bps: 20_000_000,
            per_file_us: 0,
            setup_ms: 0,
        };
        k.request(ImageId(0));
        k.request(ImageId(1));
        let mut s = Vec::new();
        k.start_next(SimTime(0), &t, link, &PipelinedPull, &mut s);
        // First: 10 s + 10 s. Second (two running): download still 10 s, extraction at
        // half the disk: 20 s.
        assert_eq!(
            s,
            vec![
                PullStart::Started(ImageId(0), SimTime(20_000)),
                PullStart::Started(ImageId(1), SimTime(30_000)),
            ]
        );
    }

    #[test]
    fn spans_end_at_the_pull_time_and_traces_record_each_layer() {
        let link = PullLink {
            download_bps: 100_000_000,
            extract_bps: 20_000_000,
            per_file_us: 0,
            setup_ms: 350,
        };
        let mut t = LayerTable::default();
        let base = t.intern(layer("base", 1_000_000_000, 2_000_000_000));
        let app = t.intern(layer("app", 500_000_000, 400_000_000));
        let other = t.intern(layer("other", 100_000_000, 100_000_000));
        t.push_image(vec![base]);
        t.push_image(vec![base, app, other]);
        let spans = PipelinedPull.layer_spans(&[base, app], &t, link);
        assert_eq!(
            spans,
            vec![
                Span {
                    download: (350, 10_350),
                    extract: (10_350, 110_350)
                },
                Span {
                    download: (10_350, 15_350),
                    extract: (110_350, 130_350)
                }
            ]
        );
        assert_eq!(
            spans.last().map(|s| s.extract.1),
            Some(PipelinedPull.pull_ms(&[base, app], &t, link))
        );
        let mut k = Kubelet::new(params(true, 100_000_000_000), 2, 3);
        k.preload_from(ImageId(0), &t, SimTime(0), LayerOrigin::NodeImage);
        assert_eq!(k.request_at(ImageId(1), SimTime(500)), PullRequest::Queued);
        let mut s = Vec::new();
        k.start_next(SimTime(1_000), &t, |_| link, &PipelinedPull, &mut s);
        let tr = k.log.last_pull(ImageId(1)).unwrap();
        assert_eq!((tr.queued, tr.started), (SimTime(500), SimTime(1_000)));
        assert_eq!(
            tr.layers[0],
            (base, LayerState::Cached(LayerOrigin::NodeImage))
        );
        assert!(matches!(tr.layers[1].1, LayerState::Fetched(_)));
        assert_eq!(tr.bytes(&t), 600_000_000);
        assert_eq!(tr.unpacked_bytes(&t), 500_000_000);
        // 5 s + 1 s downloads; 20 s + 5 s extraction.
        assert_eq!((tr.download_ms(&t), tr.extraction_ms(&t)), (6_000, 25_000));
        let done = tr.done;
        k.finish_pull(ImageId(1), &t, done);
        assert_eq!(
            k.log.origin(app),
            Some(LayerOrigin::Pulled {
                image: ImageId(1),
                done
            })
        );
    }

    #[test]
    fn gc_frees_unused_images_lru_down_to_low_threshold() {
        let mut t = LayerTable::default();
        for i in 0..4 {
            let l = t.intern(layer(&format!("l{i}"), 10, 25));
            t.push_image(vec![l]);
        }
        let mut k = Kubelet::new(params(true, 100), 4, 4);
        for i in 0..3 {
            k.preload(ImageId(i), &t, SimTime(i as u64 * 1000));
        }
        k.add_user(ImageId(0));
        k.touch(ImageId(1), SimTime(500_000));
        assert_eq!(k.disk_used, 75);
        // Below 85%: no GC.
        assert!(k.garbage_collect(&t, SimTime(600_000)).is_empty());
        k.preload(ImageId(3), &t, SimTime(590_000));
        assert_eq!(k.disk_used_percent(), 100);
        // Image 3 is too young, image 0 is in use; image 2 (least recently used) goes
        // first, then image 1, until below 80%.
        let removed = k.garbage_collect(&t, SimTime(600_000));
        assert_eq!(removed, vec![ImageId(2)]);
        assert_eq!(k.disk_used, 75);
        assert!(k.has_image(ImageId(1)));
    }

    #[test]
    fn full_disk_fails_the_pull_and_pressure_uses_the_threshold() {
        let mut t = LayerTable::default();
        let l = t.intern(layer("big", 10, 95));
        t.push_image(vec![l]);
        let mut p = params(true, 100);
        p.disk_base_used = 10;
        p.eviction_percent = Some(10);
        let mut k = Kubelet::new(p, 1, 1);
        k.request(ImageId(0));
        let link = |_| PullLink {
            download_bps: 1,
            extract_bps: 1,
            per_file_us: 0,
            setup_ms: 0,
        };
        let mut s = Vec::new();
        k.start_next(SimTime(0), &t, link, &PipelinedPull, &mut s);
        assert_eq!(s, vec![PullStart::NoSpace(ImageId(0))]);
        assert!(!k.under_disk_pressure());
        k.disk_used = 91;
        assert!(k.under_disk_pressure());
    }

    #[test]
    fn io_cost_counts_files_and_bytes() {
        let io = IoProfile {
            startup_read: Some(poolcast_model::Bytes(100_000_000)),
            small_files: Some(1000),
            files_written: Some(100),
            steady_read_mi_bps: None,
        };
        let costs = FileCosts {
            open_us: 90,
            create_us: 300,
            layer_multiplier_permille: 1500,
            first_open_scan_us: 3000,
            write_scan_us: 3000,
        };
        // 1000 × (135 + 3000) µs + 100 × (450 + 3000) µs = 3,135 + 345 ms; 1 s of reads.
        let ms = PerFileIoCost.startup_io_ms(
            &io,
            &costs,
            DiskPerf {
                bytes_per_sec: 100_000_000,
            },
        );
        assert_eq!(ms, 3_480 + 1_000);
    }
}
