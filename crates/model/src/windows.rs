//! Windows container/host compatibility: which image OS builds a Windows node can run.
//!
//! AKS runs Windows containers with process isolation only
//! (`windows-best-practices.md`), where the rule is containerd/platforms
//! `checkWindowsHostAndContainerCompat`: a host before Windows Server 2022 (build 20348)
//! needs the exact build; a host from 20348 on runs images from 20348 up to its own build.

/// The first build of Windows Server 2022, from which hosts accept older image builds.
pub const LTSC2022_BUILD: u32 = 20348;

/// Whether a Windows host of build `host` runs a container image of build `image` with
/// process isolation.
///
/// ```
/// use poolcast_model::windows::windows_build_runs;
/// assert!(windows_build_runs(26100, 20348)); // WS2025 runs ltsc2022 images
/// assert!(!windows_build_runs(20348, 17763)); // WS2022 does not run ltsc2019 images
/// ```
pub fn windows_build_runs(host: u32, image: u32) -> bool {
    if host < LTSC2022_BUILD {
        host == image
    } else {
        (LTSC2022_BUILD..=host).contains(&image)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_isolation() {
        let cases = [
            (17763, 17763, true),
            (17763, 20348, false),
            (20348, 17763, false),
            (20348, 20348, true),
            (26100, 20348, true),
            (26100, 26100, true),
            (20348, 26100, false),
        ];
        for (host, image, want) in cases {
            assert_eq!(windows_build_runs(host, image), want, "{host} {image}");
        }
    }
}
