fn main() -> anyhow::Result<()> {
    evaluator::cli::main()
}
