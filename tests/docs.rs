//! The README and the built binary agree: a newcomer who follows the README from the top can run
//! every command it shows.

use std::fs;
use std::path::Path;

mod support;

use support::isrsim;

fn readme() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The lines of the README's `sh` code blocks, in order.
fn shell_lines(readme: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            inside = line == "```sh";
        } else if inside {
            lines.push(line.trim());
        }
    }
    lines
}

#[test]
fn the_readme_puts_isrsim_on_the_path_before_an_example_calls_it() {
    let readme = readme();
    let lines = shell_lines(&readme);
    let install = lines
        .iter()
        .position(|l| l.starts_with("cargo install --path ."))
        .expect("the README says how to install isrsim");
    let first_call = lines
        .iter()
        .position(|l| l.starts_with("isrsim "))
        .expect("the README calls isrsim");
    assert!(
        install < first_call,
        "`{}` comes before `cargo install --path .`",
        lines[first_call]
    );
    // Right after the first commands: nothing but the two cargo commands comes before it.
    assert!(
        lines[..install].iter().all(|l| l.starts_with("cargo ")),
        "{:?}",
        &lines[..install]
    );
}

#[test]
fn every_flag_of_the_readmes_usage_lines_exists() {
    let readme = readme();
    let usage = readme
        .lines()
        .filter(|l| l.starts_with("isrsim ") && l.contains(" ["));
    let mut checked = 0;
    for line in usage {
        let command = line.split_whitespace().nth(1).unwrap();
        let output = isrsim(&[command, "--help"]);
        assert!(output.status.success(), "isrsim {command} --help");
        let help = String::from_utf8(output.stdout).unwrap();
        let flags = line
            .split(|c: char| c.is_whitespace() || "[]|".contains(c))
            .filter(|w| w.starts_with("--"));
        for flag in flags {
            checked += 1;
            assert!(
                help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                "`isrsim {command}` has no {flag}: {help}"
            );
        }
    }
    assert!(checked > 10, "the usage lines were found");
}
