//! What the sync loop still has to fetch (deduplicated, with berth's own actions waiting for
//! it: read-your-writes) and the budget every Docker call it makes is spent from.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use super::Hint;
use super::events::Action;
use super::store::Store;

/// What the loop still has to fetch (deduplicated).
#[derive(Default)]
pub(super) struct Pending {
    pub(super) everything: bool,
    pub(super) services: BTreeSet<String>,
    pub(super) nodes: BTreeSet<String>,
    pub(super) networks: bool,
    pub(super) secrets: bool,
    pub(super) configs: bool,
    pub(super) swarm: bool,
    pub(super) nodes_list: bool,
    /// list the services now (as the poll does)
    pub(super) services_list: bool,
    /// berth's own actions waiting for what they asked to be published
    pub(super) waiters: Vec<tokio::sync::oneshot::Sender<()>>,
    /// service id → (next re-list, hot since)
    pub(super) hot: HashMap<String, (Instant, Instant)>,
}

impl Pending {
    pub(super) fn add(&mut self, a: Action, store: &mut Store) {
        match a {
            Action::Everything => self.everything = true,
            Action::Service(id) => {
                self.services.insert(id);
            }
            Action::ServiceGone(id) => {
                self.services.remove(&id);
                self.hot.remove(&id);
                store.remove_service(&id);
            }
            Action::Tasks(id) => self.heat(id, Instant::now()),
            Action::Node(id) => {
                self.nodes.insert(id);
            }
            Action::NodeGone(id) => {
                self.nodes.remove(&id);
                store.remove_node(&id);
            }
            Action::Networks => self.networks = true,
            Action::Secrets => self.secrets = true,
            Action::Configs => self.configs = true,
            Action::Services => self.services_list = true,
            Action::Swarm => self.swarm = true,
            Action::Nodes => self.nodes_list = true,
        }
    }

    pub(super) fn hint(&mut self, h: Hint, store: &mut Store) {
        match h {
            Hint::Do(a) => self.add(a, store),
            Hint::Tell(tx) => self.waiters.push(tx),
        }
    }

    /// Nothing asked for is still to fetch (services being watched aside).
    pub(super) fn settled(&self) -> bool {
        !self.everything
            && self.services.is_empty()
            && self.nodes.is_empty()
            && !self.networks
            && !self.secrets
            && !self.configs
            && !self.swarm
            && !self.nodes_list
            && !self.services_list
    }

    /// Answers the waiters once what they asked for is published.
    pub(super) fn tell(&mut self) {
        if self.settled() {
            for w in self.waiters.drain(..) {
                let _ = w.send(());
            }
        }
    }

    /// Re-list the service's tasks at `due` (and keep watching it for a while).
    pub(super) fn heat(&mut self, id: String, due: Instant) {
        let now = Instant::now();
        let e = self.hot.entry(id).or_insert((due, now));
        e.0 = e.0.min(due);
        e.1 = now;
    }
}

/// Spends Docker calls at no more than `rate` a second.
pub(super) struct Budget {
    tokens: f64,
    rate: f64,
    last: Instant,
}

impl Budget {
    pub(super) fn new(rate: u32) -> Budget {
        let rate = f64::from(rate.max(1));
        Budget {
            tokens: rate,
            rate,
            last: Instant::now(),
        }
    }

    pub(super) fn take(&mut self, n: u32) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.rate);
        self.last = now;
        let n = f64::from(n);
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}
