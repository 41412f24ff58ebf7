//! `legcore ship --journal DIR --to nats://HOST:PORT --instance NAME [--follow]
//! [--duration D]`: publishes a journal's lines to the fleet's NATS JetStream stream,
//! each once (see [`legcore::runtime::ship`]), from where the last shipper stopped.
//! Without `--follow` it stops once every line is acknowledged; with it, it tails the
//! journal until Ctrl-C or `--duration`.

use std::path::Path;
use std::time::{Duration, Instant};

use legcore::runtime::ship::{self, ShipConfig};
use legcore::text::Quoted;

use super::args::{CliError, Flags};
use super::{emit, live};

pub fn run(args: &[String]) -> Result<u8, CliError> {
    let valued = ["--journal", "--to", "--instance", "--duration"];
    let f = Flags::parse(args, &valued, &["--follow"])?;
    let dir = Path::new(f.required("--journal")?);
    let cfg = config(&f)?;
    let deadline = match f.get("--duration") {
        Some(d) => Some(Instant::now() + live::duration(d)?),
        None => None,
    };
    let stop = live::stop_flag();
    let watch = stop.clone();
    let follow = f.has("--follow");
    let worker = std::thread::spawn({
        let dir = dir.to_path_buf();
        move || ship::ship(&dir, &cfg, follow, &watch)
    });
    while !worker.is_finished() {
        live::check_deadline(deadline, &stop);
        std::thread::sleep(Duration::from_millis(20));
    }
    let stats = worker
        .join()
        .map_err(|_| CliError::Input("the shipping thread panicked".to_string()))?
        .map_err(|e| CliError::Input(e.to_string()))?;
    emit(&format!(
        "shipped {}: {} lines stored, {} already in the stream, last seq {} \
         ({} connect failures, {} publish failures)\n",
        dir.display(),
        stats.shipped,
        stats.duplicates,
        stats.last_seq,
        stats.connect_failures,
        stats.publish_failures
    ))?;
    Ok(0)
}

/// `--to` and `--instance`, checked.
pub fn config(f: &Flags) -> Result<ShipConfig, CliError> {
    let url = f.required("--to")?;
    if !url.starts_with("nats://") {
        return Err(CliError::BadValue {
            flag: "--to",
            reason: format!("{} is not a nats://host:port address", Quoted(url)),
        });
    }
    let instance = f.required("--instance")?;
    if !ship::valid_instance(instance) {
        return Err(CliError::BadValue {
            flag: "--instance",
            reason: format!(
                "{} is not 1 to 64 of A-Z, a-z, 0-9, _ and -",
                Quoted(instance)
            ),
        });
    }
    Ok(ShipConfig {
        url: url.to_string(),
        instance: instance.to_string(),
    })
}
