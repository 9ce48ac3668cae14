//! Engine versions as a request names them and as AWS runs them: from Redis OSS 6 on and for
//! Valkey a request names major.minor (or `6.x`) and the cluster reports the patch release AWS
//! runs for it; earlier versions and Memcached are named in full. Upgrades only go up.

use crate::elasticache::domain::catalog;
use crate::elasticache::error::{ApiError, ApiResult};
use crate::elasticache::runtime::EngineKind;

/// A version a request may name, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// As DescribeCacheEngineVersions lists it (`7.1`, `5.0.6`).
    pub listed: &'static str,
    /// As the cluster reports it (`7.1.0`, `5.0.6`).
    pub actual: &'static str,
    pub family: &'static str,
}

/// The version a create or modify names. AWS's answers, as its users recorded them:
/// `InvalidParameterValue: Specific version selection is not allowed for '6.2.6', please use
/// '6.2'` (crossplane-contrib/provider-aws#1617) and `InvalidParameterCombination: Cannot find
/// version 7.4 for redis` (hashicorp/terraform-provider-aws#49466, #32252).
pub fn resolve(engine: EngineKind, requested: &str) -> ApiResult<Version> {
    let e = engine.as_str();
    let wanted = catalog::listed_version(e, requested.trim());
    if let Some((_, listed, family)) = catalog::ENGINE_VERSIONS
        .iter()
        .find(|(en, v, _)| *en == e && *v == wanted)
    {
        let actual = catalog::actual_version(e, listed);
        // `7.1.0` is what the cluster runs, but a request may not name it.
        if actual != *listed && requested.trim() == actual {
            return Err(patch_refused(requested, listed));
        }
        return Ok(Version {
            listed,
            actual,
            family,
        });
    }
    // Any other patch of an offered minor (`6.2.1`) is refused the same way.
    if let Some((minor, _)) = requested.rsplit_once('.') {
        if catalog::PATCH_RELEASES
            .iter()
            .any(|(en, l, _)| *en == e && *l == minor)
        {
            return Err(patch_refused(requested, minor));
        }
    }
    Err(ApiError::invalid_combination(format!(
        "Cannot find version {requested} for {e}"
    )))
}

fn patch_refused(requested: &str, minor: &str) -> ApiError {
    ApiError::invalid_value(format!(
        "Specific version selection is not allowed for '{requested}', please use '{minor}'"
    ))
}

/// The version an existing cluster runs, as a request would name it again (to start more
/// nodes like it): `7.1.0` is requested as `7.1`.
pub fn requestable(engine: EngineKind, running: &str) -> String {
    catalog::listed_version(engine.as_str(), running).to_string()
}

/// An upgrade from the version a cluster runs to the one a modify names: never down (AWS
/// documents upgrades only; the wording of its refusal is not recorded, so ours names both).
pub fn upgrade(engine: EngineKind, running: &str, requested: &str) -> ApiResult<Version> {
    let to = resolve(engine, requested)?;
    if numeric(to.actual) < numeric(running) {
        return Err(ApiError::invalid_combination(format!(
            "Cannot downgrade {} from {running} to {requested}: engine versions can only be upgraded.",
            engine.as_str()
        )));
    }
    Ok(to)
}

/// Dotted version as numbers for ordering (`x` counts as 0).
fn numeric(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_name_minor_versions_from_redis_6_on() {
        let ok = |e, v| resolve(e, v).map(|r| (r.actual, r.family)).ok();
        assert_eq!(ok(EngineKind::Redis, "6.2"), Some(("6.2.6", "redis6.x")));
        assert_eq!(ok(EngineKind::Redis, "6.x"), Some(("6.0.5", "redis6.x")));
        assert_eq!(ok(EngineKind::Redis, "7.1"), Some(("7.1.0", "redis7")));
        assert_eq!(ok(EngineKind::Redis, "5.0.6"), Some(("5.0.6", "redis5.0")));
        assert_eq!(ok(EngineKind::Valkey, "8.0"), Some(("8.0.1", "valkey8")));
        let e = resolve(EngineKind::Redis, "6.2.6").unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            (
                "InvalidParameterValue",
                "Specific version selection is not allowed for '6.2.6', please use '6.2'"
            )
        );
        assert_eq!(
            resolve(EngineKind::Valkey, "8.0.3").unwrap_err().code,
            "InvalidParameterValue"
        );
        for bad in ["7.x", "7", "6", "7.2", "5.0", "4.0.13"] {
            let e = resolve(EngineKind::Redis, bad).unwrap_err();
            assert_eq!(e.code, "InvalidParameterCombination", "{bad}");
            assert_eq!(e.message, format!("Cannot find version {bad} for redis"));
        }
        assert!(resolve(EngineKind::Memcached, "1.6").is_err());
    }

    #[test]
    fn upgrades_only_go_up() {
        assert_eq!(
            upgrade(EngineKind::Redis, "6.0.5", "6.2").unwrap().actual,
            "6.2.6"
        );
        assert_eq!(
            upgrade(EngineKind::Redis, "5.0.6", "7.0").unwrap().actual,
            "7.0.7"
        );
        assert!(upgrade(EngineKind::Redis, "7.1.0", "7.1").is_ok());
        let e = upgrade(EngineKind::Redis, "7.0.7", "6.2").unwrap_err();
        assert_eq!(e.code, "InvalidParameterCombination");
        assert!(upgrade(EngineKind::Memcached, "1.6.22", "1.5.16").is_err());
        assert_eq!(requestable(EngineKind::Redis, "7.1.0"), "7.1");
        assert_eq!(requestable(EngineKind::Redis, "5.0.6"), "5.0.6");
    }
}
