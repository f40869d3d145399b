//! Runs the cases whose names match a glob and prints every command with both responses:
//! `cargo run -p ferrotpm-difftest --example show -- 'pcr/read/*'`.

use ferrotpm_difftest::cmd::{cc_name, code_of};
use ferrotpm_difftest::compare::response_rc;
use ferrotpm_difftest::corpus::{self, Step};
use ferrotpm_difftest::known::glob;
use ferrotpm_difftest::run::Engine;
use ferrotpm_difftest::swtpm::Swtpm;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pattern = std::env::args().nth(1).unwrap_or_else(|| "*".to_string());
    for (i, case) in corpus::all().iter().enumerate() {
        if !glob(&pattern, &case.name) {
            continue;
        }
        println!("== {}", case.name);
        let mut sw = Swtpm::start()?;
        let mut eng = Engine::new(corpus::SEED ^ i as u64);
        for step in &case.steps {
            match step {
                Step::Cmd { loc, bytes } => {
                    sw.set_locality(*loc)?;
                    let t = sw.command(bytes)?;
                    let o = eng.command(*loc, bytes)?;
                    let name = code_of(bytes).map_or("(short)".to_string(), cc_name);
                    println!("  {name} @{loc}: {}", hex(bytes));
                    println!("    ours   {} {}", response_rc(&o), hex(&o));
                    match t {
                        Some(t) => println!("    swtpm  {} {}", response_rc(&t), hex(&t)),
                        None => println!("    swtpm  (no response)"),
                    }
                }
                Step::Init => {
                    println!("  _TPM_Init -> {:#x}", sw.init()?);
                    eng.tpm.init();
                }
                Step::HashSequence(d) => {
                    println!(
                        "  _TPM_Hash ({} bytes) -> {:x?}",
                        d.len(),
                        sw.hash_sequence(d)?
                    );
                    eng.tpm.hash_start();
                    eng.tpm.hash_data(d);
                    eng.tpm.hash_end();
                }
            }
        }
    }
    Ok(())
}
