//! Which container image runs a node: one table per engine and version (public images by
//! default), overridable per engine or per engine version (`--cache-image`).

use super::EngineKind;

/// Public images per engine and version (a version also covers its patch releases, so
/// `redis` `5.0` covers 5.0.6). ElastiCache's Redis OSS 7.1 has no open-source release of
/// that number; 7.2 is the nearest one.
const DEFAULT_IMAGES: &[(EngineKind, &str, &str)] = &[
    (EngineKind::Redis, "2.6", "docker.io/library/redis:2.6"),
    (EngineKind::Redis, "2.8", "docker.io/library/redis:2.8"),
    (EngineKind::Redis, "3.2", "docker.io/library/redis:3.2"),
    (EngineKind::Redis, "4.0", "docker.io/library/redis:4.0"),
    (EngineKind::Redis, "5.0", "docker.io/library/redis:5.0"),
    (EngineKind::Redis, "6.0", "docker.io/library/redis:6.0"),
    (EngineKind::Redis, "6.2", "docker.io/library/redis:6.2"),
    (EngineKind::Redis, "7.0", "docker.io/library/redis:7.0"),
    (EngineKind::Redis, "7.1", "docker.io/library/redis:7.2"),
    (EngineKind::Valkey, "7.2", "docker.io/valkey/valkey:7.2"),
    (EngineKind::Valkey, "8.0", "docker.io/valkey/valkey:8.0"),
    (EngineKind::Valkey, "8.1", "docker.io/valkey/valkey:8.1"),
    (EngineKind::Valkey, "8.2", "docker.io/valkey/valkey:8.2"),
    (EngineKind::Valkey, "9.0", "docker.io/valkey/valkey:9.0"),
    (EngineKind::Valkey, "9.1", "docker.io/valkey/valkey:9.1"),
    (
        EngineKind::Memcached,
        "1.4",
        "docker.io/library/memcached:1.4",
    ),
    (
        EngineKind::Memcached,
        "1.5",
        "docker.io/library/memcached:1.5",
    ),
    (
        EngineKind::Memcached,
        "1.6",
        "docker.io/library/memcached:1.6",
    ),
];

#[derive(Debug, thiserror::Error)]
#[error("cache image {0:?}: expected ENGINE=IMAGE or ENGINE:VERSION=IMAGE (engine redis, valkey or memcached)")]
pub struct BadImageOverride(String);

/// `ENGINE=IMAGE` (every version) or `ENGINE:VERSION=IMAGE` (that version and its patches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOverride {
    pub engine: EngineKind,
    pub version: Option<String>,
    pub image: String,
}

impl ImageOverride {
    pub fn parse(s: &str) -> Result<Self, BadImageOverride> {
        let bad = || BadImageOverride(s.to_string());
        let (key, image) = s.split_once('=').ok_or_else(bad)?;
        let (engine, version) = match key.split_once(':') {
            Some((e, v)) if !v.is_empty() => (e, Some(v.to_string())),
            Some(_) => return Err(bad()),
            None => (key, None),
        };
        let engine = EngineKind::parse(engine.trim()).ok_or_else(bad)?;
        if image.trim().is_empty() {
            return Err(bad());
        }
        Ok(Self {
            engine,
            version,
            image: image.trim().to_string(),
        })
    }
}

/// The image and the server program to run in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub image: String,
    pub command: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct ImageTable {
    overrides: Vec<ImageOverride>,
}

/// Whether `version` is `prefix` or one of its patch releases (`5.0` covers `5.0.6`, not `5.01`).
fn covers(prefix: &str, version: &str) -> bool {
    version == prefix
        || version
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
}

impl ImageTable {
    pub fn new(overrides: Vec<ImageOverride>) -> Self {
        Self { overrides }
    }

    /// The image for `engine` at `version` (the engine's newest image when none is known).
    pub fn image_for(&self, engine: EngineKind, version: Option<&str>) -> Image {
        // Without a version, the engine's newest image below.
        let version = version.unwrap_or("");
        let mine = |o: &&ImageOverride| o.engine == engine;
        let image = self
            .overrides
            .iter()
            .filter(mine)
            .filter(|o| o.version.as_deref().is_some_and(|p| covers(p, version)))
            .max_by_key(|o| o.version.as_ref().map_or(0, String::len))
            .or_else(|| {
                self.overrides
                    .iter()
                    .filter(mine)
                    .find(|o| o.version.is_none())
            })
            .map(|o| o.image.clone())
            .or_else(|| {
                DEFAULT_IMAGES
                    .iter()
                    .filter(|(e, p, _)| *e == engine && covers(p, version))
                    .max_by_key(|(_, p, _)| p.len())
                    .or_else(|| DEFAULT_IMAGES.iter().rev().find(|(e, _, _)| *e == engine))
                    .map(|(_, _, i)| i.to_string())
            })
            .unwrap_or_default();
        Image {
            command: command_in(engine, &image),
            image,
        }
    }
}

/// The server program of an image: named after the image (so a local redis image can stand in
/// for valkey, as the process backend runs redis-server when valkey-server is missing).
fn command_in(engine: EngineKind, image: &str) -> &'static str {
    let repo = image.rsplit('/').next().unwrap_or(image);
    let name = repo.split([':', '@']).next().unwrap_or(repo);
    if engine == EngineKind::Memcached {
        "memcached"
    } else if name.contains("valkey") {
        "valkey-server"
    } else {
        "redis-server"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_patch_versions_and_defaults_to_the_latest() {
        let t = ImageTable::default();
        let img = t.image_for(EngineKind::Redis, Some("5.0.6"));
        assert_eq!(img.image, "docker.io/library/redis:5.0");
        assert_eq!(img.command, "redis-server");
        assert_eq!(
            t.image_for(EngineKind::Redis, Some("6.2")).image,
            "docker.io/library/redis:6.2"
        );
        let v = t.image_for(EngineKind::Valkey, None);
        assert_eq!(v.image, "docker.io/valkey/valkey:9.1");
        assert_eq!(v.command, "valkey-server");
        assert_eq!(
            t.image_for(EngineKind::Memcached, Some("1.6.22")).image,
            "docker.io/library/memcached:1.6"
        );
    }

    #[test]
    fn overrides_by_version_beat_overrides_by_engine() {
        let t = ImageTable::new(vec![
            ImageOverride::parse("redis=localhost/awsemu-redis:7").unwrap(),
            ImageOverride::parse("redis:6.2=localhost/r62").unwrap(),
            ImageOverride::parse("valkey=localhost/awsemu-redis:7").unwrap(),
        ]);
        assert_eq!(
            t.image_for(EngineKind::Redis, Some("6.2")).image,
            "localhost/r62"
        );
        assert_eq!(
            t.image_for(EngineKind::Redis, Some("7.1")).image,
            "localhost/awsemu-redis:7"
        );
        // A redis image standing in for valkey runs redis-server.
        assert_eq!(
            t.image_for(EngineKind::Valkey, None).command,
            "redis-server"
        );
    }

    #[test]
    fn malformed_overrides_are_refused() {
        for bad in ["redis", "mongo=x", "redis:=x", "redis="] {
            assert!(ImageOverride::parse(bad).is_err(), "{bad}");
        }
        assert!(!covers("5.0", "5.01"));
    }
}
