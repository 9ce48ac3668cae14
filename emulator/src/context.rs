//! Who is calling: account and region taken from the SigV4 `Authorization` header.

/// Account used for any access key that is not 12 digits.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
pub const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    pub account: String,
    pub region: String,
    pub access_key: Option<String>,
    /// Service of the SigV4 credential scope (`dynamodb`, `elasticache`, `s3`, `sts`), if any.
    pub service: Option<String>,
    pub request_id: String,
}

impl RequestContext {
    /// Parses `AWS4-HMAC-SHA256 Credential=AKID/20240101/us-west-2/dynamodb/aws4_request, ...`.
    /// Signatures are not verified: this is a local endpoint.
    pub fn from_authorization(header: Option<&str>) -> Self {
        let mut ctx = RequestContext {
            account: DEFAULT_ACCOUNT.into(),
            region: DEFAULT_REGION.into(),
            access_key: None,
            service: None,
            request_id: uuid::Uuid::new_v4().to_string(),
        };
        let Some(h) = header else { return ctx };
        let Some(cred) = h
            .split([',', ' '])
            .find_map(|p| p.trim().strip_prefix("Credential="))
        else {
            return ctx;
        };
        let parts: Vec<&str> = cred.split('/').collect();
        if let Some(key) = parts.first().filter(|k| !k.is_empty()) {
            ctx.access_key = Some(key.to_string());
            if key.len() == 12 && key.bytes().all(|b| b.is_ascii_digit()) {
                ctx.account = key.to_string();
            }
        }
        if let Some(region) = parts.get(2).filter(|r| !r.is_empty()) {
            ctx.region = region.to_string();
        }
        if let Some(service) = parts.get(3).filter(|s| !s.is_empty()) {
            ctx.service = Some(service.to_string());
        }
        ctx
    }

    pub fn for_account(account: &str, region: &str) -> Self {
        RequestContext {
            account: account.into(),
            region: region.into(),
            access_key: Some(account.into()),
            service: None,
            request_id: uuid::Uuid::new_v4().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digit_key_is_the_account() {
        let c = RequestContext::from_authorization(Some(
            "AWS4-HMAC-SHA256 Credential=111122223333/20240101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc",
        ));
        assert_eq!(c.account, "111122223333");
        assert_eq!(c.region, "eu-west-1");
    }

    #[test]
    fn other_keys_map_to_default_account() {
        let c = RequestContext::from_authorization(Some(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-west-2/elasticache/aws4_request",
        ));
        assert_eq!(c.account, DEFAULT_ACCOUNT);
        assert_eq!(c.region, "us-west-2");
        let none = RequestContext::from_authorization(None);
        assert_eq!(none.region, DEFAULT_REGION);
    }
}
