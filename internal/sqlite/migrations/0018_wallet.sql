-- 0018_wallet: prepaid wallets (an append-only ledger per user and
-- currency, in minor units) and the cards drivers saved at a payment
-- provider.
--
-- The ledger is history, like sessions: no foreign key to users, so that
-- deleting a user keeps the money's trail. wallets holds each wallet's
-- running totals, written with each entry in one transaction: Balance is
-- the sum of the entries that move money (topup, grant, debit, refund,
-- adjustment), Held the open holds' amounts (a hold is open until a
-- release or a debit names its reference).

CREATE TABLE wallets (
	user_id  TEXT    NOT NULL,
	currency TEXT    NOT NULL,
	balance  INTEGER NOT NULL DEFAULT 0,
	held     INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
	PRIMARY KEY (user_id, currency)
) STRICT;

CREATE TABLE wallet_entries (
	id         TEXT    PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	currency   TEXT    NOT NULL,
	kind       TEXT    NOT NULL CHECK (kind IN ('topup', 'grant', 'hold', 'release', 'debit', 'refund', 'adjustment')),
	amount     INTEGER NOT NULL,
	session_id TEXT    NOT NULL DEFAULT '',
	reference  TEXT    NOT NULL DEFAULT '',
	note       TEXT    NOT NULL DEFAULT '',
	created_by TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
) STRICT;

-- ListWalletEntries: newest first, per user.
CREATE INDEX wallet_entries_user ON wallet_entries (user_id, created_at DESC, id DESC);
-- A hold's reference is its own; a hold is settled (released or debited)
-- once. The indexes are what makes a retried settlement find the first.
CREATE UNIQUE INDEX wallet_entries_hold ON wallet_entries (reference) WHERE kind = 'hold';
CREATE UNIQUE INDEX wallet_entries_settlement ON wallet_entries (reference) WHERE kind IN ('release', 'debit');
CREATE INDEX wallet_entries_refund ON wallet_entries (reference) WHERE kind = 'refund';

-- Saved cards: the provider's ids and what the app shows, never the card
-- number. They go with their user.
CREATE TABLE payment_methods (
	id          TEXT    PRIMARY KEY, -- the provider's (Stripe pm_...)
	user_id     TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider    TEXT    NOT NULL,
	customer_id TEXT    NOT NULL DEFAULT '',
	brand       TEXT    NOT NULL DEFAULT '',
	last4       TEXT    NOT NULL DEFAULT '',
	exp_month   INTEGER NOT NULL DEFAULT 0,
	exp_year    INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX payment_methods_user ON payment_methods (user_id, created_at DESC, id DESC);

-- A user's customer at each provider (Stripe cus_...), made with the
-- first saved card and kept when the cards are deleted.
CREATE TABLE payment_customers (
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider    TEXT NOT NULL,
	customer_id TEXT NOT NULL,
	PRIMARY KEY (user_id, provider)
) STRICT;
