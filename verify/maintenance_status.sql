-- Verify teams_obs:maintenance_status on pg

BEGIN;

DO $verify$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM teams_obs.maintenance_status() AS s
                    WHERE s.table_name = 'teams_obs.notification_deliveries'
                      AND s.sidecar_table = 'teams_obs.notification_delivery_idempotency') THEN
        RAISE EXCEPTION 'maintenance_status: no row for teams_obs.notification_deliveries with its sidecar';
    END IF;
END
$verify$;

ROLLBACK;
