//! `[cost]` and the price sheets it loads (docs/cost.md, docs/prices.md).
//!
//! A sheet is TOML of its own: `name`, `description`, `read`, optional `[parameters]` (the
//! defaults of `memory_gb` and `request_time`) and `[items.NAME]` tables of `usd` per unit,
//! `free_per_month`, `source`, `read` and `note`. The five shipped sheets are compiled into the
//! binary, so `prices = "aws"` works from any folder; any other value is a path to a sheet of
//! the same format, relative to the scenario's folder. A price written in `[cost]` wins over the
//! sheet's.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, Visitor};
use toml::{Spanned, Value};

use super::source::{Logs, Source, all_of, one_of};
use super::values::{Delay, NonNegative, Positive, not_allowed};
use crate::error::InputError;
use crate::scenario::cost::{Cost, Item, Price};
use crate::time::SimTime;

/// The sheets shipped with isrsim, by the name `prices` gives them, and their text.
pub(in crate::scenario) const SHEETS: [(&str, &str); 5] = [
    ("vercel", include_str!("../../../prices/vercel.toml")),
    ("aws", include_str!("../../../prices/aws.toml")),
    (
        "cloudflare",
        include_str!("../../../prices/cloudflare.toml"),
    ),
    ("netlify", include_str!("../../../prices/netlify.toml")),
    (
        "self-hosted",
        include_str!("../../../prices/self-hosted.toml"),
    ),
];

/// A function's memory when neither the scenario nor the sheet gives one (docs/cost.md).
const DEFAULT_MEMORY_GB: f64 = 1.0;

/// `[cost]` as written: its keys in file order, each value with its position.
pub(super) type RawCost = BTreeMap<Spanned<String>, Spanned<Value>>;

const SETTINGS: [&str; 3] = ["prices", "memory_gb", "request_time"];

/// A price written in `[cost]`: a number of USD per unit, or `{ usd, free_per_month }`.
#[derive(Clone, Copy, Debug)]
struct ScenarioPrice {
    usd: f64,
    free_per_month: f64,
}

const USD: &str = "a finite number of US dollars per unit, of at least 0";

fn usd<E: de::Error>(v: f64) -> Result<f64, E> {
    if v.is_finite() && v >= 0.0 {
        Ok(v + 0.0)
    } else {
        Err(not_allowed(v, USD))
    }
}

impl<'de> Deserialize<'de> for ScenarioPrice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScenarioPrice;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "{USD}, or a table `{{ usd = 0.000004, free_per_month = 1000 }}`"
                )
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScenarioPrice, E> {
                self.visit_f64(v as f64)
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScenarioPrice, E> {
                self.visit_f64(v as f64)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScenarioPrice, E> {
                Ok(ScenarioPrice {
                    usd: usd(v)?,
                    free_per_month: 0.0,
                })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScenarioPrice, A::Error> {
                let (mut price, mut free) = (None, None);
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "usd" => price = Some(usd(map.next_value::<f64>()?)?),
                        "free_per_month" => free = Some(map.next_value::<NonNegative>()?.0),
                        other => {
                            return Err(de::Error::custom(format!(
                                "unknown key `{other}` in a price: a price takes {}",
                                all_of(&["usd", "free_per_month"])
                            )));
                        }
                    }
                }
                Ok(ScenarioPrice {
                    usd: price.ok_or_else(|| de::Error::custom("a price table needs `usd`"))?,
                    free_per_month: free.unwrap_or(0.0),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A sheet's price, as `[items.NAME]` writes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SheetItem {
    usd: SheetUsd,
    free_per_month: Option<NonNegative>,
    source: Spanned<String>,
    read: Option<Spanned<String>>,
    note: Option<String>,
}

struct SheetUsd(f64);

impl<'de> Deserialize<'de> for SheetUsd {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ScenarioPrice::deserialize(d).and_then(|p| match p.free_per_month {
            0.0 => Ok(SheetUsd(p.usd)),
            _ => Err(de::Error::custom(
                "a sheet's `usd` is a number; its allowance is `free_per_month` beside it",
            )),
        })
    }
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Parameters {
    memory_gb: Option<Positive>,
    /// Where the parameters come from: read for the reader of the sheet, not for the bill.
    #[serde(rename = "memory_gb_source")]
    _memory_gb_source: Option<String>,
    request_time: Option<Delay>,
    #[serde(rename = "request_time_source")]
    _request_time_source: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSheet {
    /// The sheet's own name, as `prices` names a shipped one (the scenario's word is kept).
    #[serde(rename = "name")]
    _name: String,
    description: String,
    read: Spanned<String>,
    #[serde(default)]
    parameters: Parameters,
    items: BTreeMap<String, Spanned<SheetItem>>,
}

/// A price sheet, read and checked.
#[derive(Clone, Debug)]
pub(in crate::scenario) struct Sheet {
    pub(in crate::scenario) description: String,
    pub(in crate::scenario) prices: [Option<Price>; Item::COUNT],
    pub(in crate::scenario) memory_gb: Option<f64>,
    pub(in crate::scenario) request_time: Option<SimTime>,
}

/// "`cdn_requests`, `cdn_gb`, … or `monthly`"
fn item_names() -> String {
    one_of(&Item::ALL.map(Item::name))
}

/// A `YYYY-MM-DD` date, as a sheet says when its pages were read.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    parts.len() == 3
        && digits(parts[0], 4)
        && digits(parts[1], 2)
        && digits(parts[2], 2)
        && matches!(parts[1].parse::<u8>(), Ok(1..=12))
        && matches!(parts[2].parse::<u8>(), Ok(1..=31))
}

/// Reads a price sheet's `text`; `path` names it in errors.
pub(in crate::scenario) fn sheet(text: &str, path: &Path) -> Result<Sheet, InputError> {
    let source = Source {
        text,
        path,
        logs: Logs::Named,
    };
    let document = toml::Deserializer::parse(text).map_err(|e| source.syntax_error(&e))?;
    let raw: RawSheet =
        serde_path_to_error::deserialize(document).map_err(|e| source.shape_error(&e, |_| None))?;
    let date = |key: String, read: &Spanned<String>| {
        if is_date(read.get_ref()) {
            Ok(read.get_ref().clone())
        } else {
            Err(source.at(
                key,
                read,
                "expected a date written YYYY-MM-DD, such as \"2026-12-08\"",
            ))
        }
    };
    let read = date("read".into(), &raw.read)?;
    let mut prices: [Option<Price>; Item::COUNT] = Default::default();
    for (name, item) in raw.items {
        let key = format!("items.{name}");
        let Some(found) = Item::from_name(&name) else {
            return Err(source.at(
                key,
                &item,
                format!("unknown item: a sheet prices {}", item_names()),
            ));
        };
        let item = item.into_inner();
        if item.source.get_ref().trim().is_empty() {
            return Err(source.at(
                format!("{key}.source"),
                &item.source,
                "must name where the price was read (the vendor's page)",
            ));
        }
        let item_read = match &item.read {
            Some(r) => date(format!("{key}.read"), r)?,
            None => read.clone(),
        };
        prices[found.index()] = Some(Price {
            usd: item.usd.0,
            free_per_month: item.free_per_month.map_or(0.0, |f| f.0),
            source: item.source.into_inner(),
            read: Some(item_read),
            note: item.note,
        });
    }
    Ok(Sheet {
        description: raw.description,
        prices,
        memory_gb: raw.parameters.memory_gb.map(|m| m.0),
        request_time: raw.parameters.request_time.map(|t| t.0),
    })
}

/// `value` as a `T`, or an error naming `key` and the value's line.
fn typed<T: DeserializeOwned>(
    source: &Source,
    key: &str,
    value: &Spanned<Value>,
) -> Result<T, InputError> {
    value
        .get_ref()
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| source.at(key, value, e.message().trim().to_string()))
}

/// The sheet `prices` names: a shipped one by name, or a file by path (relative to the
/// scenario's folder). `Ok(None)` for a file a results folder's copy of the scenario cannot
/// find beside it (`Logs::Named`): its bill was made when the scenario ran.
fn named_sheet(source: &Source, value: &Spanned<Value>) -> Result<Option<Sheet>, InputError> {
    let key = "cost.prices";
    let written: String = typed(source, key, value)?;
    if let Some((name, text)) = SHEETS.iter().find(|(n, _)| *n == written) {
        let path = PathBuf::from(format!("prices/{name}.toml"));
        return sheet(text, &path).map(Some);
    }
    let is_path = written.ends_with(".toml") || written.contains(['/', '\\']);
    if !is_path {
        let names: Vec<&str> = SHEETS.iter().map(|(n, _)| *n).collect();
        return Err(source.at(
            key,
            value,
            format!(
                "unknown price sheet `{written}`: the shipped sheets are {}; or give the path of \
                 a sheet file ending in `.toml`, relative to the scenario's folder",
                one_of(&names)
            ),
        ));
    }
    let folder = source.path.parent().unwrap_or(Path::new(""));
    let path = folder.join(&written);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = super::utf8(&bytes, &path)?;
            sheet(text, &path).map(Some)
        }
        Err(_) if source.logs == Logs::Named => Ok(None),
        Err(e) => Err(source.at(
            key,
            value,
            format!("cannot read the price sheet {}: {e}", path.display()),
        )),
    }
}

/// `[cost]`, resolved: the sheet's prices, then the scenario's over them.
pub(super) fn resolve_cost(
    source: &Source,
    raw: Option<Spanned<RawCost>>,
) -> Result<Option<Cost>, InputError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut entries: Vec<_> = raw.into_inner().into_iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    let mut cost = Cost {
        sheet: None,
        description: None,
        sheet_unread: false,
        prices: Default::default(),
        memory_gb: DEFAULT_MEMORY_GB,
        request_time: SimTime::ZERO,
    };
    let (mut memory_gb, mut request_time) = (None, None);
    if let Some((_, value)) = entries.iter().find(|(k, _)| k.get_ref() == "prices") {
        cost.sheet = Some(typed(source, "cost.prices", value)?);
        match named_sheet(source, value)? {
            Some(sheet) => {
                cost.description = Some(sheet.description);
                cost.prices = sheet.prices;
                memory_gb = sheet.memory_gb;
                request_time = sheet.request_time;
            }
            None => cost.sheet_unread = true,
        }
    }
    for (name, value) in &entries {
        let key = format!("cost.{}", name.get_ref());
        match name.get_ref().as_str() {
            "prices" => {}
            "memory_gb" => memory_gb = Some(typed::<Positive>(source, &key, value)?.0),
            "request_time" => request_time = Some(typed::<Delay>(source, &key, value)?.0),
            other => {
                let Some(item) = Item::from_name(other) else {
                    return Err(source.at(
                        key,
                        name,
                        format!(
                            "unknown key: [cost] takes {} and the items {}",
                            all_of(&SETTINGS),
                            item_names()
                        ),
                    ));
                };
                let price: ScenarioPrice = typed(source, &key, value)?;
                cost.prices[item.index()] = Some(Price {
                    usd: price.usd,
                    free_per_month: price.free_per_month,
                    source: "the scenario".to_string(),
                    read: None,
                    note: None,
                });
            }
        }
    }
    cost.memory_gb = memory_gb.unwrap_or(DEFAULT_MEMORY_GB);
    cost.request_time = request_time.unwrap_or(SimTime::ZERO);
    Ok(Some(cost))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;
    use crate::scenario::parse::tests::{MINIMAL, error, line_of, parse_text};

    fn with_cost(table: &str) -> String {
        format!("{MINIMAL}\n[cost]\n{table}")
    }

    #[test]
    fn every_shipped_sheet_parses_and_names_a_source_and_a_read_date_for_each_price() {
        for (name, text) in SHEETS {
            let path = PathBuf::from(format!("prices/{name}.toml"));
            let sheet = sheet(text, &path).unwrap_or_else(|e| panic!("{e}"));
            let table: toml::Table = text.parse().unwrap();
            assert_eq!(table["name"].as_str(), Some(name), "{name}: its own name");
            let priced: Vec<&Price> = sheet.prices.iter().flatten().collect();
            assert!(!priced.is_empty(), "{name} prices something");
            for price in priced {
                assert!(price.source.starts_with("https://"), "{name}: {price:?}");
                assert!(price.read.as_deref().is_some_and(is_date), "{name}");
            }
        }
    }

    #[test]
    fn without_cost_there_is_none_and_without_prices_only_the_written_items_count() {
        assert_eq!(parse_text(MINIMAL).unwrap().cost, None);
        let cost = parse_text(&with_cost(
            "isr_writes = { usd = 0.000004, free_per_month = 10 }",
        ))
        .unwrap()
        .cost
        .unwrap();
        let priced: Vec<Item> = Item::ALL
            .into_iter()
            .filter(|&i| cost.price(i).is_some())
            .collect();
        assert_eq!(priced, [Item::IsrWrites]);
        let writes = cost.price(Item::IsrWrites).unwrap();
        assert_eq!((writes.usd, writes.free_per_month), (0.000004, 10.0));
        assert_eq!((cost.memory_gb, cost.request_time), (1.0, SimTime::ZERO));
    }

    #[test]
    fn a_price_in_the_scenario_wins_over_the_sheets() {
        let dir = std::env::temp_dir().join(format!("isrsim-cost-sheet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sheet = "name = \"mine\"\ndescription = \"a test sheet\"\nread = \"2026-01-31\"\n\
                     [parameters]\nmemory_gb = 0.5\nrequest_time = \"20ms\"\n\
                     [items.cdn_requests]\nusd = 0.25\nsource = \"https://example.com/a\"\n\
                     [items.isr_writes]\nusd = 0.1\nfree_per_month = 10\n\
                     source = \"https://example.com/b\"\nread = \"2026-02-01\"\n";
        std::fs::write(dir.join("mine.toml"), sheet).unwrap();
        let text = with_cost("prices = \"mine.toml\"\ncdn_requests = 0.5\nmemory_gb = 3");
        let scenario = Scenario::parse(&text, &dir.join("s.toml"));
        std::fs::remove_dir_all(&dir).unwrap();
        let cost = scenario.unwrap().cost.unwrap();
        let cdn = cost.price(Item::CdnRequests).unwrap();
        assert_eq!((cdn.usd, cdn.source.as_str()), (0.5, "the scenario"));
        let writes = cost.price(Item::IsrWrites).unwrap();
        assert_eq!((writes.usd, writes.free_per_month), (0.1, 10.0));
        assert_eq!(writes.read.as_deref(), Some("2026-02-01"));
        assert_eq!(cost.price(Item::Monthly), None, "not in the sheet: free");
        assert_eq!(cost.memory_gb, 3.0, "the scenario's");
        assert_eq!(cost.request_time, SimTime::from_millis(20), "the sheet's");
        assert_eq!(cost.sheet.as_deref(), Some("mine.toml"));
    }

    #[test]
    fn bad_input_names_the_key_the_line_and_what_is_allowed() {
        let text = with_cost("cdn_request = 0.1");
        let err = error(&text, "cost.cdn_request", line_of(&text, "cdn_request ="));
        assert!(
            err.message.contains("`cdn_requests`") && err.message.contains("`prices`"),
            "{err}"
        );
        let text = with_cost("cdn_requests = -0.1");
        let err = error(&text, "cost.cdn_requests", line_of(&text, "-0.1"));
        assert!(err.message.contains("at least 0"), "{err}");
        let text = with_cost("isr_writes = { usd = -1 }");
        error(&text, "cost.isr_writes", line_of(&text, "usd = -1"));
        let text = with_cost("isr_writes = { usd = 1, free = 3 }");
        let err = error(&text, "cost.isr_writes", line_of(&text, "free = 3"));
        assert!(err.message.contains("`free_per_month`"), "{err}");
        let text = with_cost("prices = \"awz\"");
        let err = error(&text, "cost.prices", line_of(&text, "awz"));
        assert!(
            err.message.contains("`aws`") && err.message.contains("`self-hosted`"),
            "{err}"
        );
        let text = with_cost("prices = \"nowhere/sheet.toml\"");
        error(&text, "cost.prices", line_of(&text, "nowhere"));
        let text = with_cost("memory_gb = 0");
        error(&text, "cost.memory_gb", line_of(&text, "memory_gb"));
    }

    #[test]
    fn a_bad_sheet_is_named_by_its_file_line_and_key() {
        let path = Path::new("prices/mine.toml");
        let head = "name = \"mine\"\ndescription = \"d\"\nread = \"2026-01-31\"\n";
        let cases = [
            (
                "[items.cdn_requets]\nusd = 1\nsource = \"s\"\n",
                "items.cdn_requets",
                4,
            ),
            (
                "[items.cdn_requests]\nusd = -1\nsource = \"s\"\n",
                "items.cdn_requests.usd",
                5,
            ),
            (
                "[items.cdn_requests]\nusd = 1\nsource = \"\"\n",
                "items.cdn_requests.source",
                6,
            ),
            (
                "[items.cdn_requests]\nusd = 1\n",
                "items.cdn_requests.source",
                4,
            ),
            (
                "[items.monthly]\nusd = 1\nsource = \"s\"\nread = \"May 1\"\n",
                "items.monthly.read",
                7,
            ),
        ];
        for (items, key, line) in cases {
            let err = sheet(&format!("{head}{items}"), path).unwrap_err();
            assert_eq!(
                (err.key.as_deref(), err.line),
                (Some(key), Some(line)),
                "{err}"
            );
            assert!(err.to_string().starts_with("prices/mine.toml:"), "{err}");
        }
    }
}
