//! Endpoints as clients outside the emulator's host or container reach them: with
//! `--node-ports` / `--advertise-host`, every node listens on a port of the range and the
//! emulator knows it by its own address; answers name the advertised host instead. Done once
//! on the way out, so every kind of endpoint (node, primary, reader, configuration,
//! serverless) is covered and saved state keeps the addresses the emulator itself uses.

use serde_json::Value;

use crate::config::PublishedNodes;

/// Replaces the address of every `{"Address", "Port"}` object naming a node of `p`.
pub fn endpoints(out: &mut Value, p: &PublishedNodes) {
    let internal = p.internal_ip().to_string();
    rewrite(out, &internal, p);
}

fn rewrite(v: &mut Value, internal: &str, p: &PublishedNodes) {
    match v {
        Value::Object(o) => {
            let port = o.get("Port").and_then(Value::as_u64);
            let is_node = o.get("Address").and_then(Value::as_str) == Some(internal)
                && port.is_some_and(|n| u16::try_from(n).is_ok_and(|n| p.ports.contains(n)));
            if is_node {
                o.insert("Address".into(), Value::String(p.host.clone()));
            }
            o.values_mut().for_each(|x| rewrite(x, internal, p));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite(x, internal, p)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::NodePorts;
    use serde_json::json;

    #[test]
    fn node_endpoints_name_the_advertised_host_and_nothing_else_changes() {
        let p = PublishedNodes {
            ports: NodePorts {
                first: 4510,
                last: 4559,
            },
            bind: "0.0.0.0".parse().unwrap(),
            host: "awsemu".into(),
        };
        let mut out = json!({"ReplicationGroups": [{
            "ConfigurationEndpoint": {"Address": "127.0.0.1", "Port": 4510},
            "NodeGroups": [{"PrimaryEndpoint": {"Address": "127.0.0.1", "Port": 4559},
                            "NodeGroupMembers": [{"ReadEndpoint": {"Address": "127.0.0.1", "Port": 4511}}]}],
            "Elsewhere": {"Address": "127.0.0.1", "Port": 6379},
            "Customer": {"Address": "10.0.0.7", "Port": 4512}
        }]});
        endpoints(&mut out, &p);
        let g = &out["ReplicationGroups"][0];
        assert_eq!(
            g["ConfigurationEndpoint"],
            json!({"Address": "awsemu", "Port": 4510})
        );
        assert_eq!(g["NodeGroups"][0]["PrimaryEndpoint"]["Address"], "awsemu");
        assert_eq!(
            g["NodeGroups"][0]["NodeGroupMembers"][0]["ReadEndpoint"]["Address"],
            "awsemu"
        );
        assert_eq!(g["Elsewhere"]["Address"], "127.0.0.1");
        assert_eq!(g["Customer"]["Address"], "10.0.0.7");
    }
}
