//! STS GetCallerIdentity on the same endpoint: SDK-based tools (Terraform at start-up, test
//! fixtures that build ARNs) ask who they are before anything else.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::context::RequestContext;

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// True when a Query-protocol request is meant for STS rather than ElastiCache.
pub fn is_sts(ctx: &RequestContext, params: &[(String, String)]) -> bool {
    ctx.service.as_deref() == Some("sts") || action(params) == "GetCallerIdentity"
}

fn action(params: &[(String, String)]) -> &str {
    params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub fn handle(ctx: &RequestContext, params: &[(String, String)]) -> Response {
    let action = action(params);
    if action != "GetCallerIdentity" {
        return xml(
            StatusCode::BAD_REQUEST,
            format!(
                "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type><Code>InvalidAction</Code>\
                 <Message>Could not find operation {} for version 2011-06-15</Message></Error>\
                 <RequestId>{}</RequestId></ErrorResponse>",
                escape(action),
                ctx.request_id
            ),
        );
    }
    xml(StatusCode::OK, caller_identity(ctx))
}

/// The caller is the account's root: a 12-digit access key names the account (see context).
fn caller_identity(ctx: &RequestContext) -> String {
    let a = &ctx.account;
    format!(
        "<GetCallerIdentityResponse xmlns=\"{NS}\"><GetCallerIdentityResult>\
         <Arn>arn:aws:iam::{a}:root</Arn><UserId>{a}</UserId><Account>{a}</Account>\
         </GetCallerIdentityResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata>\
         </GetCallerIdentityResponse>",
        ctx.request_id
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn xml(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/xml"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_is_the_accounts_root() {
        let ctx = RequestContext::for_account("111122223333", "eu-west-1");
        let x = caller_identity(&ctx);
        assert!(x.contains("<Account>111122223333</Account>"));
        assert!(x.contains("<Arn>arn:aws:iam::111122223333:root</Arn>"));
        assert!(x.contains("<UserId>111122223333</UserId>"));
    }

    #[test]
    fn routed_by_scope_or_action() {
        let mut ctx = RequestContext::for_account("111122223333", "us-east-1");
        let p = vec![("Action".to_string(), "DescribeCacheClusters".to_string())];
        assert!(!is_sts(&ctx, &p));
        ctx.service = Some("sts".into());
        assert!(is_sts(&ctx, &p));
    }
}
