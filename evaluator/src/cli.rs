pub fn main() -> anyhow::Result<()> {
    anyhow::bail!("evaluator: not built yet")
}
