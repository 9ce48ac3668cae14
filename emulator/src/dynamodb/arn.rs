//! DynamoDB Local writes `arn:aws:dynamodb:ddblocal:000000000000:`; callers see their own
//! account and region, and their ARNs are mapped back before forwarding.

use bytes::Bytes;

const LOCAL: &str = "arn:aws:dynamodb:ddblocal:000000000000:";

fn replace(body: Bytes, from: &str, to: &str) -> Bytes {
    let hay = body.as_ref();
    let needle = from.as_bytes();
    if hay.len() < needle.len() || !hay.windows(needle.len()).any(|w| w == needle) {
        return body;
    }
    match std::str::from_utf8(hay) {
        Ok(s) => Bytes::from(s.replace(from, to)),
        Err(_) => body,
    }
}

pub fn to_caller(body: Bytes, account: &str, region: &str) -> Bytes {
    replace(
        body,
        LOCAL,
        &format!("arn:aws:dynamodb:{region}:{account}:"),
    )
}

pub fn to_backend(body: Bytes, account: &str, region: &str) -> Bytes {
    replace(
        body,
        &format!("arn:aws:dynamodb:{region}:{account}:"),
        LOCAL,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_both_ways() {
        let b =
            Bytes::from_static(br#"{"TableArn":"arn:aws:dynamodb:ddblocal:000000000000:table/T"}"#);
        let c = to_caller(b, "111122223333", "eu-west-1");
        assert_eq!(
            c.as_ref(),
            br#"{"TableArn":"arn:aws:dynamodb:eu-west-1:111122223333:table/T"}"#
        );
        let back = to_backend(c, "111122223333", "eu-west-1");
        assert!(std::str::from_utf8(&back).unwrap().contains(LOCAL));
    }

    #[test]
    fn untouched_without_arn() {
        let b = Bytes::from_static(b"{}");
        assert_eq!(to_caller(b.clone(), "1", "r"), b);
    }
}
