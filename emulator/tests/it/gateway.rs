//! Gateway behaviour shared by every service.

use super::common::TestEmulator;

#[test]
fn health_answers_and_unknown_protocol_is_rejected() {
    let emu = TestEmulator::start();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = reqwest::Client::new();
        let h: serde_json::Value = c
            .get(format!("{}/_emulator/health", emu.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(h["status"], "ok");
        let r = c.post(emu.url()).body("hello").send().await.unwrap();
        assert_eq!(r.status(), 400);
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["__type"]
            .as_str()
            .unwrap()
            .ends_with("UnknownOperationException"));
    });
}
