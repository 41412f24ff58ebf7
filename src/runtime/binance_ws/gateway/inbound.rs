//! What comes back: answers on the API link, events on the user data stream, the
//! reconciliation of an order after a reconnect, and the upkeep (listen-key keep-alive,
//! request timeouts).

use super::*;

impl BinanceWsGateway {
    /// Reads every frame in on both links.
    pub(super) fn read(&mut self, now_ns: u64) {
        while self.api.is_open() {
            match self.api.recv() {
                Received::Text(t) => self.on_answer(&t),
                Received::Idle => break,
                Received::Closed => self.lost(now_ns),
            }
            if std::mem::take(&mut self.redo_reconcile) {
                self.lost(now_ns);
            }
        }
        while self.stream.is_open() {
            match self.stream.recv() {
                Received::Text(t) => self.on_event(&t, now_ns),
                Received::Idle => break,
                Received::Closed => self.lost(now_ns),
            }
        }
    }

    fn on_answer(&mut self, text: &str) {
        let Ok(r) = response::parse(text) else {
            self.counts.bad_frames += 1;
            return;
        };
        if !r.rate_limits.0.is_empty() {
            self.used_permille = r.rate_limits.used_permille();
        }
        let Some(p) =
            r.id.parse::<u64>()
                .ok()
                .and_then(|id| self.pending.remove(&id))
        else {
            self.counts.answers_unmatched += 1;
            return;
        };
        let lot = self.steps.1;
        match (p.method, r.answer) {
            (Method::Place, Answer::Order { order_id, .. }) => {
                if let Some(t) = self.orders.get_mut(p.order) {
                    t.venue_id = Some(order_id);
                }
                self.deliver(p.order, ReportKind::Ack, None);
            }
            (Method::Place, Answer::Refused { code, reason, msg }) => {
                if code == -1021 && self.sync_clock() {
                    self.counts.clock_resyncs += 1;
                }
                self.deliver(p.order, ReportKind::Reject(reason), Some(detail(code, msg)));
            }
            (Method::Cancel, Answer::Order { executed_qty, .. }) => {
                let filled = lot.parse_units(executed_qty.as_bytes());
                let kind = filled.map(|filled_lots| ReportKind::CancelAck { filled_lots });
                self.deliver_or_count(p.order, kind.ok());
            }
            (Method::Cancel, Answer::Refused { code, reason, msg }) => {
                let kind = ReportKind::CancelReject(reason);
                self.deliver(p.order, kind, Some(detail(code, msg)));
            }
            (method, answer) => self.on_status(p.order, method, answer),
        }
    }

    /// A status answer, to an engine query or a reconciliation.
    fn on_status(&mut self, order: OrderRef, method: Method, answer: Answer<'_>) {
        match answer {
            Answer::Order {
                status,
                executed_qty,
                order_id,
                ..
            } => match self.steps.1.parse_units(executed_qty.as_bytes()) {
                Ok(filled) => self.reconcile(order, status, filled, order_id),
                Err(_) => self.counts.bad_frames += 1,
            },
            Answer::Refused {
                code: -2013 | -2011,
                ..
            } => self.not_found(order),
            Answer::Refused { code, .. } => {
                // A status the venue would not give (rate limit, clock): an engine
                // query is asked again by its leg; a reconciliation cannot end on it,
                // so the connection is made again and it is redone.
                self.counts.status_refused += 1;
                if code == -1021 && self.sync_clock() {
                    self.counts.clock_resyncs += 1;
                }
                if method == Method::Reconcile {
                    self.redo_reconcile = true;
                    return;
                }
            }
        }
        if method == Method::Reconcile {
            self.reconciled();
        }
    }

    /// One reconciling status answered: after the last, `Resynced`.
    fn reconciled(&mut self) {
        self.reconciling = self.reconciling.saturating_sub(1);
        if self.reconciling == 0 && self.link == Link::Up {
            self.deliveries.push_back(Delivery::Resynced);
        }
    }

    fn deliver_or_count(&mut self, order: OrderRef, kind: Option<ReportKind>) {
        match kind {
            Some(k) => self.deliver(order, k, None),
            None => self.counts.bad_frames += 1,
        }
    }

    fn on_event(&mut self, text: &str, now_ns: u64) {
        let c = Contract {
            steps: self.steps,
            quote: &self.cfg.quote,
        };
        let order = match events::parse(text, &c) {
            Ok(UserEvent::Order {
                client_id,
                symbol,
                kind,
                unconverted_fee,
            }) if symbol == self.cfg.symbol => {
                let order = client_id
                    .parse::<u64>()
                    .ok()
                    .and_then(|w| OrderRef::from_wire(w).ok());
                self.counts.unconverted_fees += u64::from(unconverted_fee);
                order.map(|o| (o, kind))
            }
            Ok(UserEvent::Order { .. }) => None,
            Ok(UserEvent::Other("listenKeyExpired")) => {
                self.lost(now_ns);
                return;
            }
            Ok(UserEvent::Other("ACCOUNT_UPDATE")) => return self.on_account(text),
            Ok(UserEvent::Other(_) | UserEvent::OtherExecution(_)) => {
                self.counts.events_other += 1;
                return;
            }
            Err(_) => {
                self.counts.bad_frames += 1;
                return;
            }
        };
        match order {
            Some((o, kind)) if self.orders.get_mut(o).is_some() => self.deliver(o, kind, None),
            _ => self.counts.events_unmapped += 1,
        }
    }

    /// An `ACCOUNT_UPDATE`: the venue's position in the symbol, if it lists it.
    fn on_account(&mut self, text: &str) {
        match events::account_position(text, &self.cfg.symbol, self.steps.1) {
            Ok(Some(lots)) => {
                self.counts.account_updates += 1;
                self.position.venue_says(lots);
            }
            Ok(None) => self.counts.events_other += 1,
            Err(_) => self.counts.bad_frames += 1,
        }
    }

    /// A status answer: deliver what the venue knows and the engine does not (ack,
    /// missed fills by trade id, the end), then the status if the engine asked.
    fn reconcile(&mut self, order: OrderRef, status: &str, filled: i64, venue_id: u64) {
        let Some(t) = self.orders.get_mut(order) else {
            return;
        };
        t.venue_id = Some(venue_id);
        t.venue_filled = t.venue_filled.max(filled);
        let (behind, queried) = (filled > t.filled_lots, t.queried);
        t.queried = false;
        self.deliver(order, ReportKind::Ack, None);
        if behind {
            self.recover_trades(order, venue_id, filled);
        }
        match status {
            "CANCELED" => self.deliver(
                order,
                ReportKind::CancelAck {
                    filled_lots: filled,
                },
                None,
            ),
            "EXPIRED" | "EXPIRED_IN_MATCH" => {
                self.deliver(
                    order,
                    ReportKind::Expired {
                        filled_lots: filled,
                    },
                    None,
                );
            }
            _ => {}
        }
        if queried {
            let st = venue_status(status, filled);
            self.deliver(order, ReportKind::Status(st), None);
        }
    }

    /// The venue does not know `order`: a new order that never reached it is rejected;
    /// a query is answered `NotFound`.
    fn not_found(&mut self, order: OrderRef) {
        let Some(t) = self.orders.get_mut(order) else {
            return;
        };
        let queried = std::mem::take(&mut t.queried);
        if queried {
            self.deliver(order, ReportKind::Status(VenueStatus::NotFound), None);
        } else {
            self.refuse(
                order,
                ReportKind::Reject(RejectReason::Unavailable),
                "never reached the venue (order.status: -2013)",
            );
        }
    }

    /// Reads `order`'s trades until they account for `filled` lots (the venue may
    /// still be delivering them), delivering each new one once.
    fn recover_trades(&mut self, order: OrderRef, venue_id: u64, filled: i64) {
        for attempt in 0..TRADE_ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(25));
            }
            let now = self.venue_ms_now();
            let query = format!(
                "symbol={}&orderId={venue_id}&recvWindow={}&timestamp={now}",
                self.cfg.symbol, self.cfg.recv_window_ms
            );
            let target = format!(
                "{}/userTrades?{query}&signature={}",
                self.cfg.rest_prefix,
                self.signer.sign_query(query.as_bytes())
            );
            if let Ok((200, body)) = self.rest("GET", &target, true) {
                self.deliver_trades(order, &body);
            }
            let got = self.orders.get_mut(order).map_or(filled, |t| t.filled_lots);
            if got >= filled {
                return;
            }
        }
        let got = self.orders.get_mut(order).map_or(filled, |t| t.filled_lots);
        self.counts.lots_unrecovered += u64::try_from(filled - got).unwrap_or(0);
    }

    fn deliver_trades(&mut self, order: OrderRef, body: &str) {
        let Ok(mut trades) = serde_json::from_str::<Vec<Trade<'_>>>(body) else {
            self.counts.bad_frames += 1;
            return;
        };
        trades.sort_unstable_by_key(|t| t.id);
        for t in &trades {
            let Some((x, unconverted)) = trade_fill(t, self.steps, &self.cfg.quote) else {
                self.counts.bad_frames += 1;
                continue;
            };
            let before = self.counts.duplicates;
            self.deliver(order, ReportKind::Fill(x), None);
            if self.counts.duplicates == before {
                self.counts.fills_recovered += 1;
                self.counts.unconverted_fees += u64::from(unconverted);
            }
        }
    }

    /// The listen key's keep-alive, and requests past their timeout.
    pub(super) fn upkeep(&mut self, now_ns: u64) {
        if now_ns >= self.prune_at_ns {
            self.counts.pruned += self.orders.prune() as u64;
            self.prune_at_ns = now_ns.saturating_add(PRUNE_NS);
        }
        if now_ns >= self.keepalive_at_ns {
            let target = format!("{}/listenKey", self.cfg.rest_prefix);
            match self.rest("PUT", &target, true) {
                Ok((200, _)) => {
                    self.keepalive_at_ns = now_ns.saturating_add(self.cfg.keepalive_ms * 1_000_000);
                }
                _ => return self.lost(now_ns),
            }
        }
        let timeout_ns = self.cfg.request_timeout_ms.saturating_mul(1_000_000);
        let expired: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, p)| now_ns.saturating_sub(p.sent_ns) >= timeout_ns)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            let Some(p) = self.pending.remove(&id) else {
                continue;
            };
            self.counts.timeouts += 1;
            if p.method == Method::Reconcile {
                // A reconciliation that cannot finish: connect again and redo it.
                return self.lost(now_ns);
            }
        }
    }
}
