-- 0008_wallet: prepaid wallets (an append-only ledger per user and
-- currency, in minor units) and the cards drivers saved at a payment
-- provider. The SQLite store's 0018_wallet has the same tables.
--
-- The ledger is history, like sessions: no foreign key to users, so that
-- deleting a user keeps the money's trail. wallets holds each wallet's
-- running totals, written with each entry in one transaction that first
-- locks the wallet's row: Balance is the sum of the entries that move
-- money (topup, grant, debit, refund, adjustment), Held the open holds'
-- amounts (a hold is open until a release or a debit names its reference).

CREATE TABLE wallets (
	user_id  text   COLLATE "C" NOT NULL,
	currency text   COLLATE "C" NOT NULL,
	balance  bigint NOT NULL DEFAULT 0,
	held     bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
	PRIMARY KEY (user_id, currency)
);

CREATE TABLE wallet_entries (
	id         text        COLLATE "C" PRIMARY KEY,
	user_id    text        COLLATE "C" NOT NULL,
	currency   text        COLLATE "C" NOT NULL,
	kind       text        NOT NULL CHECK (kind IN ('topup', 'grant', 'hold', 'release', 'debit', 'refund', 'adjustment')),
	amount     bigint      NOT NULL,
	session_id text        COLLATE "C" NOT NULL DEFAULT '',
	reference  text        COLLATE "C" NOT NULL DEFAULT '',
	note       text        NOT NULL DEFAULT '',
	created_by text        NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL
);

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
	id          text        COLLATE "C" PRIMARY KEY, -- the provider's (Stripe pm_...)
	user_id     text        COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider    text        NOT NULL,
	customer_id text        NOT NULL DEFAULT '',
	brand       text        NOT NULL DEFAULT '',
	last4       text        NOT NULL DEFAULT '',
	exp_month   integer     NOT NULL DEFAULT 0,
	exp_year    integer     NOT NULL DEFAULT 0,
	created_at  timestamptz NOT NULL
);

CREATE INDEX payment_methods_user ON payment_methods (user_id, created_at DESC, id DESC);

-- A user's customer at each provider (Stripe cus_...), made with the
-- first saved card and kept when the cards are deleted.
CREATE TABLE payment_customers (
	user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider    text NOT NULL,
	customer_id text NOT NULL,
	PRIMARY KEY (user_id, provider)
);
