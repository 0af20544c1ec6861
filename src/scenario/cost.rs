//! `[cost]`, resolved: the price of each item a run counts (docs/cost.md), from a price sheet
//! (`prices/NAME.toml`, docs/prices.md) and the scenario's own prices, which win.
//!
//! A scenario without `[cost]` has no `Cost`, and its runs' `cost_usd` columns are not measured;
//! an item no price names costs nothing (a platform that does not bill it, or a `[cost]` table
//! that leaves it out). The bill itself is `crate::cost`'s.

use crate::time::SimTime;

/// What a run is billed for, in the units vendors bill (docs/cost.md has each quantity).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    CdnRequests,
    CdnGb,
    OriginGb,
    Invocations,
    GbSeconds,
    BackendCalls,
    QueueMessages,
    IsrReads,
    IsrWrites,
    PurgeRequests,
    InvalidationPaths,
    InstanceHours,
    Monthly,
}

impl Item {
    pub const COUNT: usize = 13;

    /// Every item, in the order of docs/cost.md and of every breakdown.
    pub const ALL: [Item; Item::COUNT] = [
        Item::CdnRequests,
        Item::CdnGb,
        Item::OriginGb,
        Item::Invocations,
        Item::GbSeconds,
        Item::BackendCalls,
        Item::QueueMessages,
        Item::IsrReads,
        Item::IsrWrites,
        Item::PurgeRequests,
        Item::InvalidationPaths,
        Item::InstanceHours,
        Item::Monthly,
    ];

    /// The key that names it in `[cost]` and in a price sheet's `[items]`.
    pub fn name(self) -> &'static str {
        match self {
            Item::CdnRequests => "cdn_requests",
            Item::CdnGb => "cdn_gb",
            Item::OriginGb => "origin_gb",
            Item::Invocations => "invocations",
            Item::GbSeconds => "gb_seconds",
            Item::BackendCalls => "backend_calls",
            Item::QueueMessages => "queue_messages",
            Item::IsrReads => "isr_reads",
            Item::IsrWrites => "isr_writes",
            Item::PurgeRequests => "purge_requests",
            Item::InvalidationPaths => "invalidation_paths",
            Item::InstanceHours => "instance_hours",
            Item::Monthly => "monthly",
        }
    }

    /// One unit of it, as a price is quoted "per unit".
    pub fn unit(self) -> &'static str {
        match self {
            Item::CdnRequests => "CDN request",
            Item::CdnGb => "GB served by the CDN",
            Item::OriginGb => "GB leaving the origin",
            Item::Invocations => "function invocation",
            Item::GbSeconds => "GB-second of function time",
            Item::BackendCalls => "backend call",
            Item::QueueMessages => "revalidation message",
            Item::IsrReads => "8 KB unit read from the ISR cache",
            Item::IsrWrites => "8 KB unit written to the ISR cache",
            Item::PurgeRequests => "purge call",
            Item::InvalidationPaths => "invalidated path or tag",
            Item::InstanceHours => "instance-hour",
            Item::Monthly => "month",
        }
    }

    pub fn from_name(name: &str) -> Option<Item> {
        Item::ALL.into_iter().find(|i| i.name() == name)
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// One item's price: USD per unit, and the units a month that are free.
#[derive(Clone, Debug, PartialEq)]
pub struct Price {
    pub usd: f64,
    pub free_per_month: f64,
    /// Where the price comes from: the vendor's page, or `the scenario` for a price written in
    /// `[cost]`.
    pub source: String,
    /// When the source was read (`YYYY-MM-DD`); `None` for the scenario's own prices.
    pub read: Option<String>,
    pub note: Option<String>,
}

/// `[cost]`: the prices a run's bill uses, and the two parameters its quantities need.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    /// The sheet `prices` named (a shipped sheet's name, or the path as written); `None` when the
    /// scenario prices every item itself.
    pub sheet: Option<String>,
    /// The sheet's `description`, when there is a sheet.
    pub description: Option<String>,
    /// A sheet file a results folder's copy of the scenario could not find beside it: its
    /// prices are missing here, and only the runs' own `cost_usd` figures hold its bill.
    pub sheet_unread: bool,
    /// Indexed by `Item::index`; `None`: the item costs nothing here.
    pub prices: [Option<Price>; Item::COUNT],
    /// A function's memory, in GB (`memory_gb`), for `gb_seconds`.
    pub memory_gb: f64,
    /// The compute an origin request takes to answer (`request_time`), for `gb_seconds`.
    pub request_time: SimTime,
}

impl Cost {
    pub fn price(&self, item: Item) -> Option<&Price> {
        self.prices[item.index()].as_ref()
    }
}
