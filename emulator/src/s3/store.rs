//! Buckets and objects as files: `<root>/<bucket>/<key>` holds an object's bytes, and
//! `<root>/.buckets/<bucket>.json` says a bucket exists and who owns it. DynamoDB export
//! writes into the same tree and import reads from it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("The specified bucket does not exist")]
    NoSuchBucket,
    #[error("The specified key does not exist.")]
    NoSuchKey,
    #[error("The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")]
    BucketAlreadyExists,
    #[error("Your previous request to create the named bucket succeeded and you already own it.")]
    BucketAlreadyOwnedByYou,
    #[error("The bucket you tried to delete is not empty")]
    BucketNotEmpty,
    #[error("The specified bucket is not valid.")]
    InvalidBucketName,
    #[error("Object key is not supported by this local store: {0}")]
    InvalidKey(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSuchBucket => "NoSuchBucket",
            Self::NoSuchKey => "NoSuchKey",
            Self::BucketAlreadyExists => "BucketAlreadyExists",
            Self::BucketAlreadyOwnedByYou => "BucketAlreadyOwnedByYou",
            Self::BucketNotEmpty => "BucketNotEmpty",
            Self::InvalidBucketName => "InvalidBucketName",
            Self::InvalidKey(_) => "InvalidArgument",
            Self::Io(_) => "InternalError",
        }
    }
    pub fn status(&self) -> u16 {
        match self {
            Self::NoSuchBucket | Self::NoSuchKey => 404,
            Self::BucketAlreadyExists | Self::BucketAlreadyOwnedByYou | Self::BucketNotEmpty => 409,
            Self::InvalidBucketName | Self::InvalidKey(_) => 400,
            Self::Io(_) => 500,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BucketMeta {
    pub owner: String,
    pub region: String,
    /// Seconds since the epoch.
    pub created: f64,
}

pub struct Object {
    pub key: String,
    pub size: u64,
    pub modified: std::time::SystemTime,
}

fn meta_path(root: &Path, bucket: &str) -> PathBuf {
    root.join(".buckets").join(format!("{bucket}.json"))
}

/// S3's bucket naming rules (3-63 characters of lowercase letters, digits, dots, hyphens;
/// starting and ending with a letter or digit).
pub fn valid_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        && b.as_bytes()[0].is_ascii_alphanumeric()
        && b.as_bytes()[b.len() - 1].is_ascii_alphanumeric()
        && !b.contains("..")
}

pub fn bucket(root: &Path, bucket: &str) -> Option<BucketMeta> {
    if !valid_bucket_name(bucket) {
        return None;
    }
    let text = std::fs::read_to_string(meta_path(root, bucket)).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn create_bucket(root: &Path, name: &str, owner: &str, region: &str) -> Result<(), StoreError> {
    if !valid_bucket_name(name) {
        return Err(StoreError::InvalidBucketName);
    }
    if let Some(m) = bucket(root, name) {
        // us-east-1 keeps S3's legacy answer: re-creating your own bucket succeeds.
        return if m.owner != owner {
            Err(StoreError::BucketAlreadyExists)
        } else if region == "us-east-1" {
            Ok(())
        } else {
            Err(StoreError::BucketAlreadyOwnedByYou)
        };
    }
    std::fs::create_dir_all(root.join(".buckets"))?;
    std::fs::create_dir_all(root.join(name))?;
    let meta = BucketMeta {
        owner: owner.into(),
        region: region.into(),
        created: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
    };
    let tmp = meta_path(root, name).with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec(&meta).unwrap_or_default())?;
    std::fs::rename(tmp, meta_path(root, name))?;
    Ok(())
}

pub fn delete_bucket(root: &Path, name: &str) -> Result<(), StoreError> {
    bucket(root, name).ok_or(StoreError::NoSuchBucket)?;
    if !list(root, name)?.is_empty() {
        return Err(StoreError::BucketNotEmpty);
    }
    let _ = std::fs::remove_dir_all(root.join(name));
    std::fs::remove_file(meta_path(root, name))?;
    Ok(())
}

/// Buckets owned by `owner` (every bucket when None), sorted by name.
pub fn buckets(root: &Path, owner: Option<&str>) -> Vec<(String, BucketMeta)> {
    let mut out: Vec<(String, BucketMeta)> = std::fs::read_dir(root.join(".buckets"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.strip_suffix(".json")?.to_string();
            let meta = bucket(root, &name)?;
            owner
                .is_none_or(|o| o == meta.owner)
                .then_some((name, meta))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Removes the buckets of one owner (or all) with their objects.
pub fn remove_all(root: &Path, owner: Option<&str>) {
    for (name, _) in buckets(root, owner) {
        let _ = std::fs::remove_dir_all(root.join(&name));
        let _ = std::fs::remove_file(meta_path(root, &name));
    }
}

/// The file behind a key; keys that cannot be a relative path are refused.
fn object_path(root: &Path, bucket: &str, key: &str) -> Result<PathBuf, StoreError> {
    if key.is_empty()
        || key.split('/').any(|s| s == ".." || s == ".")
        || key.starts_with('/')
        || key.contains('\0')
    {
        return Err(StoreError::InvalidKey(key.into()));
    }
    Ok(root.join(bucket).join(key))
}

pub fn put(root: &Path, bucket_name: &str, key: &str, data: &[u8]) -> Result<(), StoreError> {
    bucket(root, bucket_name).ok_or(StoreError::NoSuchBucket)?;
    let path = object_path(root, bucket_name, key)?;
    if key.ends_with('/') {
        // A "folder" marker: the directory stands for it.
        std::fs::create_dir_all(&path)?;
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("o")
    ));
    std::fs::write(&tmp, data)?;
    std::fs::rename(tmp, path)?;
    Ok(())
}

pub fn get(root: &Path, bucket_name: &str, key: &str) -> Result<(Vec<u8>, Object), StoreError> {
    bucket(root, bucket_name).ok_or(StoreError::NoSuchBucket)?;
    let path = object_path(root, bucket_name, key)?;
    if !path.is_file() {
        return Err(StoreError::NoSuchKey);
    }
    let data = std::fs::read(&path)?;
    let md = std::fs::metadata(&path)?;
    Ok((
        data,
        Object {
            key: key.into(),
            size: md.len(),
            modified: md.modified()?,
        },
    ))
}

/// An object's data for reading as a stream (objects can be larger than memory should hold).
pub fn open(root: &Path, bucket_name: &str, key: &str) -> Result<std::fs::File, StoreError> {
    bucket(root, bucket_name).ok_or(StoreError::NoSuchBucket)?;
    let path = object_path(root, bucket_name, key)?;
    if !path.is_file() {
        return Err(StoreError::NoSuchKey);
    }
    Ok(std::fs::File::open(path)?)
}

/// `put` with the data written by `write` as a stream.
pub fn put_with(
    root: &Path,
    bucket_name: &str,
    key: &str,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<(), StoreError> {
    bucket(root, bucket_name).ok_or(StoreError::NoSuchBucket)?;
    let path = object_path(root, bucket_name, key)?;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("o")
    ));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
    let written = write(&mut out).and_then(|()| std::io::Write::flush(&mut out));
    drop(out);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.into());
    }
    std::fs::rename(tmp, path)?;
    Ok(())
}

pub fn delete(root: &Path, bucket_name: &str, key: &str) -> Result<(), StoreError> {
    bucket(root, bucket_name).ok_or(StoreError::NoSuchBucket)?;
    let path = object_path(root, bucket_name, key)?;
    if path.is_file() {
        std::fs::remove_file(&path)?;
    }
    Ok(())
}

/// Every object of a bucket, sorted by key (S3 lists in UTF-8 byte order).
pub fn list(root: &Path, bucket_name: &str) -> Result<Vec<Object>, StoreError> {
    bucket(root, bucket_name).ok_or(StoreError::NoSuchBucket)?;
    let base = root.join(bucket_name);
    let mut out = vec![];
    let mut stack = vec![base.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(md) = e.metadata() else { continue };
            if md.is_dir() {
                stack.push(p);
                continue;
            }
            let Ok(rel) = p.strip_prefix(&base) else {
                continue;
            };
            let key = rel.to_string_lossy().to_string();
            if key
                .rsplit('/')
                .next()
                .is_some_and(|n| n.ends_with(".tmp") && n.starts_with('.'))
            {
                continue;
            }
            out.push(Object {
                key,
                size: md.len(),
                modified: md.modified().unwrap_or(std::time::UNIX_EPOCH),
            });
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_lifecycle_and_objects() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert!(matches!(
            put(root, "b1b", "k", b"x"),
            Err(StoreError::NoSuchBucket)
        ));
        create_bucket(root, "b1b", "111111111111", "us-west-2").unwrap();
        assert!(matches!(
            create_bucket(root, "b1b", "111111111111", "us-west-2"),
            Err(StoreError::BucketAlreadyOwnedByYou)
        ));
        assert!(create_bucket(root, "b1b", "111111111111", "us-east-1").is_ok());
        assert!(matches!(
            create_bucket(root, "b1b", "222222222222", "us-west-2"),
            Err(StoreError::BucketAlreadyExists)
        ));
        put(root, "b1b", "a/b/c.json", b"hello").unwrap();
        put(root, "b1b", "z", b"").unwrap();
        let keys: Vec<String> = list(root, "b1b")
            .unwrap()
            .into_iter()
            .map(|o| o.key)
            .collect();
        assert_eq!(keys, vec!["a/b/c.json", "z"]);
        assert_eq!(get(root, "b1b", "a/b/c.json").unwrap().0, b"hello");
        assert!(matches!(
            get(root, "b1b", "nope"),
            Err(StoreError::NoSuchKey)
        ));
        assert!(matches!(
            put(root, "b1b", "../escape", b""),
            Err(StoreError::InvalidKey(_))
        ));
        assert!(matches!(
            delete_bucket(root, "b1b"),
            Err(StoreError::BucketNotEmpty)
        ));
        delete(root, "b1b", "a/b/c.json").unwrap();
        delete(root, "b1b", "z").unwrap();
        delete_bucket(root, "b1b").unwrap();
        assert!(bucket(root, "b1b").is_none());
    }

    #[test]
    fn bucket_names() {
        assert!(valid_bucket_name("my-bucket.1"));
        assert!(!valid_bucket_name("My_Bucket"));
        assert!(!valid_bucket_name("ab"));
        assert!(!valid_bucket_name("-ab"));
    }

    #[test]
    fn remove_all_of_one_owner() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        create_bucket(root, "aaa", "1", "us-east-1").unwrap();
        create_bucket(root, "bbb", "2", "us-east-1").unwrap();
        remove_all(root, Some("1"));
        let left: Vec<String> = buckets(root, None).into_iter().map(|b| b.0).collect();
        assert_eq!(left, vec!["bbb"]);
    }
}
