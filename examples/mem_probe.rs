fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[2]).unwrap();
    match args[1].as_str() {
        "read" => {
            let f =
                kubenudge::manifest::read_manifest(&args[2], &bytes, &Default::default()).unwrap();
            eprintln!("objects {}", f.objects.len());
        }
        _ => {
            let r = kubenudge::engine::lint(&[(args[2].clone(), bytes)], &Default::default());
            eprintln!("findings {}", r.findings.len());
        }
    }
}
