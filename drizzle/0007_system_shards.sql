-- System accounts split into 16 shards each (shard 0 is the original account), so no balance row is
-- touched by every fill, purchase or deposit. Shard ids: 00000000-0000-4000-80SS-00000000000C.
INSERT INTO ledger_accounts (id, kind, code, may_go_negative)
SELECT format('00000000-0000-4000-80%s-00000000000%s', lpad(to_hex(s), 2, '0'), a.digit)::uuid,
       'system', a.code || '.' || s, a.may_go_negative
FROM (VALUES ('mint', '1', true), ('gateway', '2', true), ('fees', '3', false)) AS a(code, digit, may_go_negative)
CROSS JOIN generate_series(1, 15) AS s
ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO ledger_balances (account_id, asset, may_go_negative)
SELECT id, 'COIN', may_go_negative FROM ledger_accounts WHERE kind = 'system' AND code LIKE '%.%'
ON CONFLICT DO NOTHING;
