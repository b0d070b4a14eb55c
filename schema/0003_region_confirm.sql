-- SPDX-License-Identifier: Apache-2.0
-- cohd state, version 3:
--   - the region of each desired resource (NULL = the app environment's): CloudFront
--     certificates and Lambda@Edge functions live in us-east-1 whatever the app's region, and a
--     resource that left the file while cohd was down must still be looked for where it is;
--   - app_env.delete_confirmed_at (version 1) is now set by `cohd-status delete --confirm` and
--     cleared by the next accepted file, so a confirmation survives a restart.
ALTER TABLE desired_resource ADD COLUMN region TEXT;
