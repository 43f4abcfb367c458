-- Seed 003: the image -> pick one -> 3D model pipeline, the models, and the gallery.
--
-- The seed's nine tables, as Kiln keeps them:
--   User, EmailVerificationCode      users, email_verification_codes (V1)
--   QueueConfig                      queue_configs (V1)
--   GenerationRequest                generation_requests (here)
--   GeneratedImage                   generated_images (here)
--   Model                            models (here)
--   ModelInteraction                 model_interactions (here)
--   ImageGenerationJob,              tasks: an image is one image.generate task, a model one
--   ModelGenerationJob               model3d.generate task (generated_images.task_id and
--                                    models.task_id, 1:1), so retries, timeouts, cancel,
--                                    credits, SSE and webhooks are the queue's own.
-- Owners are tenants as everywhere in Kiln: an API client and, optionally, an end user of it
-- (X-User-Id, or a signed-in user's id). The seed's enums are kept as its upper-case words.
--
-- V1 drafted these four tables owned by users (a uuid FK), which only a signed-in user can be;
-- nothing ever wrote them, so they are made again, owned by tenants.
DROP TABLE model_interactions, models, generated_images, generation_requests;

CREATE TABLE generation_requests (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    api_client_id         text        NOT NULL REFERENCES api_clients (id),
    user_id               text,                       -- same meaning as tasks.user_id
    prompt                text        NOT NULL,
    negative_prompt       text,
    width                 int         NOT NULL CHECK (width > 0),
    height                int         NOT NULL CHECK (height > 0),
    seed                  bigint      NOT NULL,       -- image i uses seed + i
    image_count           int         NOT NULL CHECK (image_count BETWEEN 1 AND 8),
    status                text        NOT NULL DEFAULT 'IMAGE_PENDING'
                          CHECK (status IN ('IMAGE_PENDING', 'IMAGE_GENERATING', 'IMAGE_COMPLETED', 'IMAGE_FAILED',
                                            'MODEL_PENDING', 'MODEL_GENERATING', 'MODEL_COMPLETED', 'MODEL_FAILED',
                                            'COMPLETED', 'FAILED', 'CANCELLED')),
    phase                 text        NOT NULL DEFAULT 'IMAGE_GENERATION'
                          CHECK (phase IN ('IMAGE_GENERATION', 'AWAITING_SELECTION', 'MODEL_GENERATION', 'COMPLETED')),
    selected_image_index  int         CHECK (selected_image_index >= 0),
    webhook_url           text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    completed_at          timestamptz
);
-- the seed's (userId, createdAt DESC): a tenant's requests, newest first
CREATE INDEX ix_generation_requests_owner ON generation_requests (api_client_id, user_id, created_at DESC, id DESC);
CREATE INDEX ix_generation_requests_status_phase ON generation_requests (status, phase);

CREATE TABLE generated_images (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id     uuid        NOT NULL REFERENCES generation_requests (id) ON DELETE CASCADE,
    image_index    int         NOT NULL CHECK (image_index >= 0),   -- the seed's "index"
    image_prompt   text,
    seed           bigint      NOT NULL,
    image_status   text        NOT NULL DEFAULT 'PENDING'
                   CHECK (image_status IN ('PENDING', 'GENERATING', 'COMPLETED', 'FAILED')),
    task_id        uuid        UNIQUE REFERENCES tasks (id) ON DELETE SET NULL,  -- its ImageGenerationJob
    created_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz,
    failed_at      timestamptz,
    error_message  text,
    UNIQUE (request_id, image_index)
);
CREATE INDEX ix_generated_images_status ON generated_images (image_status);

CREATE TABLE models (
    id                  uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    api_client_id       text        NOT NULL REFERENCES api_clients (id),
    user_id             text,
    source              text        NOT NULL DEFAULT 'AI_GENERATED' CHECK (source IN ('AI_GENERATED', 'USER_UPLOADED')),
    -- 1 request : 1 model, and one image makes at most one model (seed 003's constraints)
    request_id          uuid        UNIQUE REFERENCES generation_requests (id) ON DELETE SET NULL,
    source_image_id     uuid        UNIQUE REFERENCES generated_images (id) ON DELETE SET NULL,
    task_id             uuid        UNIQUE REFERENCES tasks (id) ON DELETE SET NULL,  -- its ModelGenerationJob
    status              text        NOT NULL DEFAULT 'PENDING'
                        CHECK (status IN ('PENDING', 'GENERATING', 'COMPLETED', 'FAILED')),
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description         text        CHECK (length(description) <= 2000),
    object_key          text,                         -- the model file in the asset store
    preview_object_key  text,                         -- its preview image
    format              text        NOT NULL DEFAULT 'GLB' CHECK (format IN ('GLB', 'GLTF', 'OBJ')),
    file_size           bigint      CHECK (file_size >= 0),
    visibility          text        NOT NULL DEFAULT 'PRIVATE' CHECK (visibility IN ('PRIVATE', 'PUBLIC')),
    published_at        timestamptz,
    view_count          int         NOT NULL DEFAULT 0 CHECK (view_count >= 0),
    like_count          int         NOT NULL DEFAULT 0 CHECK (like_count >= 0),
    favorite_count      int         NOT NULL DEFAULT 0 CHECK (favorite_count >= 0),
    download_count      int         NOT NULL DEFAULT 0 CHECK (download_count >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    completed_at        timestamptz,
    failed_at           timestamptz,
    error_message       text,
    CHECK (visibility = 'PRIVATE' OR (status = 'COMPLETED' AND published_at IS NOT NULL))
);
CREATE INDEX ix_models_owner ON models (api_client_id, user_id, created_at DESC, id DESC);
CREATE INDEX ix_models_source ON models (source);
-- the gallery's two orders (seed 003): latest, and popular
CREATE INDEX ix_models_gallery_latest ON models (published_at DESC, id DESC) WHERE visibility = 'PUBLIC';
CREATE INDEX ix_models_gallery_popular ON models (like_count DESC, published_at DESC, id DESC) WHERE visibility = 'PUBLIC';

CREATE TABLE model_interactions (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    api_client_id  text        NOT NULL REFERENCES api_clients (id),
    user_id        text        NOT NULL DEFAULT '',   -- '' is the client itself, as in wallets
    model_id       uuid        NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    type           text        NOT NULL CHECK (type IN ('LIKE', 'FAVORITE')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (api_client_id, user_id, model_id, type)
);
CREATE INDEX ix_model_interactions_mine ON model_interactions (api_client_id, user_id, type, created_at DESC, id DESC);
CREATE INDEX ix_model_interactions_model ON model_interactions (model_id, type);

-- A task that is one of a request's images, or its model: the settlement finds the request
-- to recount from the task row it already holds locked.
ALTER TABLE tasks ADD COLUMN generation_request_id uuid REFERENCES generation_requests (id) ON DELETE SET NULL;

CREATE TRIGGER trg_generation_requests_updated_at BEFORE UPDATE ON generation_requests FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();
CREATE TRIGGER trg_models_updated_at              BEFORE UPDATE ON models              FOR EACH ROW EXECUTE FUNCTION kiln_set_updated_at();

-- A request's webhooks (request.awaiting_selection, request.completed, request.failed) join the
-- outbox beside tasks' and batches'.
ALTER TABLE webhook_deliveries ADD COLUMN request_id uuid REFERENCES generation_requests (id) ON DELETE CASCADE;
ALTER TABLE webhook_deliveries DROP CONSTRAINT ck_webhook_deliveries_subject;
ALTER TABLE webhook_deliveries ADD CONSTRAINT ck_webhook_deliveries_subject CHECK (num_nonnulls(task_id, batch_id, request_id) = 1);

-- A request's tasks, for its cancel and its event stream (only the pipeline's tasks are in it).
CREATE INDEX ix_tasks_generation_request ON tasks (generation_request_id) WHERE generation_request_id IS NOT NULL;
