use clap::Parser;

fn main() {
    let cli = kubenudge::cli::Cli::parse();
    let code = kubenudge::cli::run(cli, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
