/**
 * What every text-like column (text, varchar, jsonb, inet, citext) of the schema holds, as far as
 * personal data goes. `test/platform/personal-data.test.ts` reads the migrated schema and fails on
 * any column missing here and on any entry naming a column that no longer exists, so a new column
 * is classified when it is added.
 *
 * - `sealed`: encrypted at rest with the envelope; listed in `crypto/sealed-columns.ts`.
 * - `erased`: erased or anonymised when its account is deleted; `mechanism` says where.
 * - `exempt`: not personal, or kept in clear for a stated reason.
 */
export type Classification =
  | { readonly kind: 'sealed' }
  | { readonly kind: 'erased'; readonly mechanism: string }
  | { readonly kind: 'exempt'; readonly reason: string };

const sealed: Classification = { kind: 'sealed' };
const erased = (mechanism: string): Classification => ({ kind: 'erased', mechanism });
const exempt = (reason: string): Classification => ({ kind: 'exempt', reason });

/** Every listed column of one table under the same classification. */
const all = (table: string, columns: string[], c: Classification) =>
  Object.fromEntries(columns.map((col) => [`${table}.${col}`, c]));
const each = (table: string, columns: Record<string, Classification>) =>
  Object.fromEntries(Object.entries(columns).map(([col, c]) => [`${table}.${col}`, c]));

const STATE = exempt('state or kind code chosen by the product: not personal');
const ANONYMISE = 'identity: anonymiseUser in the account deletion transaction';
const catalogue = (what: string) => exempt(`${what}: catalogue content written by staff, not personal`);

/** Keyed `table.column`. */
export const PERSONAL_DATA_CATALOGUE: Readonly<Record<string, Classification>> = {
  // --- identity ---
  ...each('identity_users', {
    email: erased(`${ANONYMISE} sets it to NULL; clear because sign-in looks it up by value (unique index)`),
    username: erased(`${ANONYMISE} replaces it with deleted_<id>; clear because it is public and looked up by value`),
    display_name: erased(`${ANONYMISE} sets it to NULL (shown publicly by its owner's choice)`),
    bio: erased(`${ANONYMISE} sets it to NULL (shown publicly by its owner's choice)`),
    avatar_url: erased(`${ANONYMISE} sets it to NULL`),
    password_hash: erased(`${ANONYMISE} sets it to NULL (a one-way hash, never shown)`),
    ban_reason: erased(`${ANONYMISE} sets it to NULL`),
    locale: erased(`${ANONYMISE} resets it to en`),
    timezone: erased(`${ANONYMISE} resets it to UTC`),
    notification_preferences: erased(`${ANONYMISE} resets it to {}`),
    collection_visibility: STATE,
    role: STATE,
    status: STATE,
  }),
  ...each('identity_sessions', {
    user_agent: sealed,
    ip: erased(
      'identity.erase (eraseIdentityData) sets it to NULL; clear because sign-in compares it by value ' +
        '(known-address check, indexed)',
    ),
    client: STATE,
    revoked_reason: STATE,
  }),
  ...each('identity_activity', {
    ip: sealed,
    user_agent: sealed,
    detail: erased('identity: deleteActivityOf deletes the rows in the account deletion transaction'),
    type: STATE,
  }),
  ...all('identity_email_tokens', ['purpose', 'token_hash'], exempt('one-way hash of a single-use token')),
  ...all('identity_refresh_tokens', ['token_hash'], exempt('one-way hash of a refresh token')),
  ...all('identity_throttles', ['scope', 'key'], exempt('key is a SHA-256 of the counted subject; rows expire')),

  // --- social ---
  ...each('social_messages', {
    body: erased('social.erase (eraseUser) deletes every conversation the account was part of'),
  }),
  ...each('social_message_reports', {
    reason: erased('social.erase deletes reports by the account and reports on its messages'),
    status: STATE,
  }),
  ...all('social_profiles', ['showcase'], exempt('variant ids of cards shown; deleted by social.erase anyway')),
  ...all('social_matches', ['give', 'get'], exempt('card lines of a suggested swap; deleted by social.erase')),
  ...all('social_cursors', ['name'], STATE),

  // --- community ---
  ...each('community_comments', { body: erased('community.erase blanks the body and marks the comment deleted') }),
  ...each('community_sharing', {
    description: erased('community.erase blanks it and makes the share private'),
    link_token: exempt('random share-link token, not personal'),
    visibility: STATE,
    mode: STATE,
  }),
  ...each('community_feed', {
    data: erased('community.erase deletes feed items the account made or that name it'),
    kind: STATE,
  }),
  ...each('community_reports', {
    reason: erased('community.erase blanks the reasons the account wrote'),
    resolution_note: exempt('a moderator’s note on content, kept for moderation history'),
    target_type: STATE,
    status: STATE,
  }),
  ...each('community_hidden', {
    reason: exempt('a moderator’s reason for hiding content, kept for moderation history'),
    target_type: STATE,
  }),
  ...all('community_follows', ['target_type'], STATE),

  // --- cards ---
  ...each('cards_wishlist', { note: erased('cards.erase deletes the wishlist') }),
  ...each('cards_fairness_seeds', {
    client_seed: erased('cards.erase replaces the user-chosen seed'),
    server_seed: exempt('random server seed, not personal'),
    server_seed_hash: exempt('hash of a random server seed'),
  }),
  ...each('cards_openings', {
    client_seed: erased('cards.erase replaces the user-chosen seed'),
    server_seed_hash: exempt('hash of a random server seed'),
    drop_table: exempt('pack odds at the time of opening'),
    drop_table_hash: exempt('hash of the odds'),
    supply: exempt('card supply at the time of opening'),
    pulls: exempt('cards drawn'),
  }),
  ...each('cards_upgrades', {
    client_seed: erased('cards.erase replaces the user-chosen seed'),
    server_seed_hash: exempt('hash of a random server seed'),
  }),
  ...all(
    'cards_cards',
    ['name', 'rarity', 'element', 'stats', 'text', 'art_url', 'set_label', 'search_text'],
    catalogue('card'),
  ),
  ...all('cards_sets', ['code', 'name', 'description'], catalogue('card set')),
  ...all('cards_pack_products', ['name', 'description', 'slots', 'pity_rarity', 'asset'], catalogue('pack')),
  ...all('cards_variants', ['asset'], catalogue('card variant')),

  // --- trades ---
  ...each('trade_offers', {
    message: erased('trades.erase sets the proposer’s messages to NULL'),
    offered: exempt('asset lines of the offer'),
    requested: exempt('asset lines of the offer'),
    status: STATE,
  }),

  // --- bots ---
  ...each('bots', {
    name: erased('bots.erase renames the owner’s bots to Bot <id>'),
    settings: exempt('trading parameters, not personal'),
    strategy_state: exempt('strategy working state'),
    book: exempt('paper-trading book'),
    pause_reason: STATE,
    mode: STATE,
    status: STATE,
    interval: STATE,
  }),
  ...each('bot_strategies', {
    name: erased('bots.erase renames the owner’s strategies to Strategy <id>'),
    kind: STATE,
  }),
  ...all('bot_strategy_versions', ['document', 'source'], exempt('strategy rules or code, not personal')),
  ...all(
    'bot_backtests',
    ['interval', 'settings', 'status', 'result', 'result_hash', 'error'],
    exempt('backtest inputs and results'),
  ),
  ...all(
    'bot_runs',
    ['status', 'error_kind', 'error', 'inputs_digest', 'decisions', 'orders', 'fills', 'notes'],
    exempt('bot run record'),
  ),
  ...all('bot_orders', ['side', 'type', 'status', 'reason', 'rejection'], exempt('bot order record')),
  ...all('bot_fills', ['side'], STATE),

  // --- leaderboards ---
  ...each('leaderboard_entries', {
    name: erased('leaderboards.erase deletes the account’s entries and renames its bots’ entries'),
    reason: STATE,
    board: STATE,
    period: STATE,
  }),

  // --- crowdfunding ---
  ...each('crowdfunding_campaigns', {
    title: erased('crowdfunding.erase renames the creator’s campaigns'),
    description: erased('crowdfunding.erase blanks it'),
    reject_reason: exempt('a moderator’s reason about the campaign, not the person'),
    state: STATE,
  }),
  ...each('crowdfunding_tiers', {
    title: erased('crowdfunding.erase renames the creator’s tiers'),
    description: erased('crowdfunding.erase blanks it'),
    cards: exempt('card rewards of the tier'),
  }),
  ...each('crowdfunding_updates', {
    title: erased('crowdfunding.erase deletes the creator’s updates'),
    body: erased('crowdfunding.erase deletes the creator’s updates'),
  }),
  ...all('crowdfunding_pledges', ['status'], STATE),

  // --- betting ---
  ...all('betting_events', ['kind', 'title', 'description', 'settlement'], catalogue('betting event')),
  ...all('betting_markets', ['type', 'name', 'status', 'suspend_reason'], catalogue('betting market')),
  ...all('betting_outcomes', ['label'], catalogue('betting outcome')),
  ...all('betting_bets', ['status'], STATE),
  ...all(
    'betting_profiles',
    ['limits', 'pending_limits'],
    exempt('amount limits the user set; kept for responsible-gambling duties, hold no identifying text'),
  ),

  // --- market ---
  ...all('market_orders', ['side', 'type', 'time_in_force', 'status', 'cancel_reason', 'source'], STATE),
  ...all('market_trades', ['taker_side'], STATE),
  ...all('market_candles', ['interval'], STATE),

  // --- fraud ---
  ...all('fraud_activity', ['direction', 'reference'], exempt('trade direction and id, not personal text')),
  ...each('fraud_flags', {
    details: exempt('figures of the trade the rule matched; kept for fraud review'),
    note: exempt('staff note on a flagged trade; kept for fraud review'),
    reference: exempt('id of the flagged trade'),
    rule: STATE,
    severity: STATE,
    status: STATE,
    outcome: STATE,
  }),
  ...all('fraud_holds', ['reference', 'amounts', 'reason'], exempt('held trade id, amounts and rule')),

  // --- ledger ---
  ...each('ledger_transfers', {
    memo: erased('ledger.erase (eraseLedgerMemos) sets memos of the account’s transfers to NULL'),
    kind: STATE,
    reference: exempt('id of the business row the transfer settles'),
    status: STATE,
  }),
  ...all('ledger_accounts', ['kind', 'code', 'purpose', 'reference'], exempt('account kind and code')),
  ...all('ledger_assets', ['code', 'kind'], exempt('asset codes')),
  ...all('ledger_balances', ['asset'], exempt('asset code')),
  ...all('ledger_daily_usage', ['kind'], STATE),
  ...all('ledger_entries', ['phase', 'asset'], STATE),
  ...all('ledger_transfer_legs', ['asset'], exempt('asset code')),
  ...all('ledger_payment_events', ['provider', 'event_id', 'type', 'outcome'], exempt('provider event ids')),
  ...each('ledger_payments', {
    direction: STATE,
    provider: STATE,
    provider_payment_id: exempt('the provider’s payment id, not personal'),
    status: STATE,
    checkout_url: exempt('provider checkout link, expires'),
    provider_checkout_url: exempt('provider checkout link, expires'),
    provider_reference: exempt('the provider’s reference, not personal'),
    failure_reason: exempt('provider failure code'),
  }),
  ...each('ledger_payment_reversals', {
    kind: STATE,
    status: STATE,
    provider_ref: exempt('the provider’s refund or dispute id'),
    reason: exempt('refund or dispute reason code, about the payment'),
  }),
  ...each('payout_destinations', {
    details: sealed,
    kind: STATE,
    last4: exempt('last four characters only, shown masked; kept with the payout record for reconciliation'),
    label: erased('cleared by ledger retirePayoutDestinations on identity.user_deleted'),
  }),

  // --- rewards ---
  ...all(
    'rewards_achievements',
    ['code', 'name', 'description', 'rule', 'reward', 'payout', 'backfilled_rule'],
    catalogue('achievement'),
  ),
  ...all('rewards_facts', ['event_id', 'type', 'attrs'], exempt('event id and counted figures, no text')),
  ...all('rewards_payouts', ['source'], STATE),
  ...all('rewards_progress', ['code'], STATE),

  // --- notifications ---
  ...all(
    'notifications',
    ['type', 'title', 'body', 'data'],
    erased('notifications.erase deletes the account’s notifications and those quoting it'),
  ),

  // --- platform ---
  ...each('platform_audit_log', {
    ip: exempt('append-only audit trail (a trigger refuses changes): kept for its retention period'),
    user_agent: exempt('append-only audit trail (a trigger refuses changes): kept for its retention period'),
    details: exempt('append-only audit trail of value movements'),
    actor_type: STATE,
    actor_id: exempt('an id, not text about the person'),
    action: STATE,
    target_type: STATE,
    target_id: exempt('an id'),
    asset: exempt('asset code'),
    request_id: exempt('request id'),
  }),
  ...each('platform_idempotency_keys', {
    body: exempt('stored response of a value-moving request, replayed to its caller; rows expire'),
    scope: STATE,
    key: exempt('client-chosen retry key'),
    request_hash: exempt('hash of a request body'),
    content_type: STATE,
  }),
  ...all(
    'platform_mail_outbox',
    ['recipient', 'subject', 'text', 'html'],
    erased('identity: deleteStoredMail in the account deletion transaction deletes mail to the address'),
  ),
  ...each('platform_outbox_events', {
    payload: erased('forgetDeliveredEvents deletes delivered events naming the account'),
    type: STATE,
    aggregate_type: STATE,
    aggregate_id: exempt('an id'),
    status: STATE,
    last_error: exempt('handler error text'),
  }),
  ...all('platform_outbox_deliveries', ['handler'], STATE),
  ...all('platform_seed_runs', ['name'], STATE),
};
