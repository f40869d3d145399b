//! Runs the cases whose names match a glob and prints every command with both responses:
//! `cargo run -p ferrotpm-difftest --example show -- 'pcr/read/*'`.

use ferrotpm_difftest::cmd::{cc_name, code_of};
use ferrotpm_difftest::compare::{response_params, response_rc};
use ferrotpm_difftest::corpus::{self, Step};
use ferrotpm_difftest::known::glob;
use ferrotpm_difftest::run::Engine;
use ferrotpm_difftest::session::Client;
use ferrotpm_difftest::swtpm::Swtpm;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Sends `ob` to the engine and `tb` to swtpm, prints both; returns both responses.
fn show(
    sw: &mut Swtpm,
    eng: &mut Engine,
    loc: u8,
    ob: &[u8],
    tb: &[u8],
) -> Res<(Vec<u8>, Vec<u8>)> {
    sw.set_locality(loc)?;
    let t = sw.command(tb)?;
    let o = eng.command(loc, ob)?;
    let name = code_of(ob).map_or("(short)".to_string(), cc_name);
    println!("  {name} @{loc}: {}", hex(ob));
    if ob != tb {
        println!("  {name} @{loc} (to swtpm): {}", hex(tb));
    }
    println!("    ours   {} {}", response_rc(&o), hex(&o));
    match &t {
        Some(t) => println!("    swtpm  {} {}", response_rc(t), hex(t)),
        None => println!("    swtpm  (no response)"),
    }
    Ok((o, t.unwrap_or_default()))
}

fn main() -> Res<()> {
    let pattern = std::env::args().nth(1).unwrap_or_else(|| "*".to_string());
    for (i, case) in corpus::all().iter().enumerate() {
        if !glob(&pattern, &case.name) {
            continue;
        }
        println!("== {}", case.name);
        let mut sw = Swtpm::start()?;
        let mut eng = Engine::new(corpus::SEED ^ i as u64);
        let (mut ours, mut theirs) = (Client::default(), Client::default());
        let (mut our_params, mut their_params) = (Vec::new(), Vec::new());
        for step in &case.steps {
            let mut pair = (Vec::new(), Vec::new());
            let mut code = 0;
            match step {
                Step::Cmd { loc, bytes } => {
                    pair = show(&mut sw, &mut eng, *loc, bytes, bytes)?;
                    code = code_of(bytes).unwrap_or(0);
                }
                Step::Ref(r) => {
                    let (ob, tb) = (r.bytes(&our_params), r.bytes(&their_params));
                    pair = show(&mut sw, &mut eng, r.loc, &ob, &tb)?;
                    code = r.code;
                }
                Step::StartSession(spec) => {
                    let b = spec.bytes();
                    let (o, t) = show(&mut sw, &mut eng, 0, &b, &b)?;
                    ours.started(spec, &o);
                    theirs.started(spec, &t);
                }
                Step::Auth(a) => {
                    let (ob, tb) = (ours.bytes(a), theirs.bytes(a));
                    let (mut o, mut t) = show(&mut sw, &mut eng, 0, &ob, &tb)?;
                    for e in [ours.response(a, &mut o), theirs.response(a, &mut t)]
                        .into_iter()
                        .flatten()
                    {
                        println!("    {e}");
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
            our_params.push(response_params(code, &pair.0));
            their_params.push(response_params(code, &pair.1));
        }
    }
    Ok(())
}
