/* SPDX-License-Identifier: Apache-2.0 */

ALTER TABLE lineage_events DROP CONSTRAINT lineage_event_pk;
