/* SPDX-License-Identifier: Apache-2.0 */

DROP TABLE job_versions_io_mapping_inputs;
DROP TABLE job_versions_io_mapping_outputs;
