//! The image through the `testcontainers` crate, as users' suites start it: a GenericImage,
//! ready when its health route answers. Runs against the Docker-compatible API at
//! `DOCKER_HOST` (`scripts/image-tests` starts podman's).
//!
//! Podman 4.3 (Debian bookworm's) reports a published port's `HostIp` as "" where Docker
//! says "0.0.0.0", and testcontainers skips such a mapping: its HTTP wait and
//! `get_host_port_ipv4` would find no port. So the API is mapped to a port chosen here, the
//! container is started once it logs that it listens, and the health route is waited for on
//! that port.

use std::time::Duration;

use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{GenericImage, ImageExt};

use super::{free_port, wait_ok};
use crate::common::{aws_at, create_table_args};

#[test]
fn testcontainers_starts_the_image_and_waits_for_its_health_route() {
    let Some(image) = super::image() else { return };
    assert!(
        std::env::var_os("DOCKER_HOST").is_some(),
        "AWSEMU_TEST_IMAGE is set but DOCKER_HOST is not: no API for testcontainers"
    );
    let (name, tag) = image.rsplit_once(':').unwrap_or((image.as_str(), "latest"));
    let port = free_port();
    let started = std::time::Instant::now();
    let container = GenericImage::new(name, tag)
        .with_wait_for(WaitFor::message_on_stdout("emulator listening"))
        .with_mapped_port(port, 4566.tcp())
        // Explicit limits: the runtime's defaults exceed what sandboxed machines allow.
        .with_ulimit("nofile", 10_240, Some(10_240))
        .with_ulimit("nproc", 4_096, Some(4_096))
        .start()
        .expect("the image starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_ok(&format!("{url}/_emulator/health"), Duration::from_secs(30));
    eprintln!(
        "testcontainers: healthy {:?} after start",
        started.elapsed()
    );
    aws_at(
        &url,
        "123456789012",
        "us-east-1",
        &create_table_args("tc-table", &[]),
    )
    .json();
    let tables = aws_at(
        &url,
        "123456789012",
        "us-east-1",
        &["dynamodb", "list-tables"],
    )
    .json();
    assert_eq!(tables["TableNames"], serde_json::json!(["tc-table"]));
    let id = container.id().to_string();
    drop(container);
    // The crate removes its container when the handle drops.
    let left = std::process::Command::new("podman")
        .args(["--cgroup-manager=cgroupfs", "--events-backend=file"])
        .args(["ps", "-a", "-q", "--filter", &format!("id={id}")])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&left.stdout).trim().is_empty());
}
