package dev.kiln.task.store;

import dev.kiln.task.TaskEvent;
import dev.kiln.task.TaskJson;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;

/**
 * Creating tasks: many in one statement (a single submit, a group commit of concurrent submits,
 * a batch's images), each with its input assets and its {@code created} event. The table is the
 * queue, so nothing exists on the bus that Postgres does not hold.
 */
final class TaskInsert {
  private TaskInsert() {}

  /**
   * A task's place in its tenant's line ({@code fair_seq}): one past the tail of the tenant's
   * waiting tasks in the queue; a tenant with none waiting joins at the head of the queue's line
   * (the lowest waiting seq, per priority level when the queue orders by priority), the round
   * being served. So a tenant arriving late does not start at 0 ahead of everyone, and however
   * tenants arrive, one tenant's backlog delays another's next task by one round at most. The
   * head is looked up only for a tenant with nothing waiting: it is the one look that walks the
   * index entries of tasks claimed since the last vacuum. Rows of one statement for one tenant
   * follow each other ({@code nth}).
   */
  static final String FAIR_SEQ =
      "COALESCE((SELECT w.fair_seq + 1 FROM tasks w WHERE w.queue = %1$s.queue AND w.status = 'pending' "
          + "AND w.tenant = %1$s.api_client_id || '/' || coalesce(%1$s.user_id, '') ORDER BY w.fair_seq DESC LIMIT 1), "
          + "CASE WHEN %2$s "
          + "THEN (SELECT h.fair_seq FROM tasks h WHERE h.queue = %1$s.queue AND h.status = 'pending' AND h.priority = %1$s.priority "
          + "ORDER BY h.fair_seq LIMIT 1) "
          + "ELSE (SELECT h.fair_seq FROM tasks h WHERE h.queue = %1$s.queue AND h.status = 'pending' ORDER BY h.fair_seq LIMIT 1) END, 0)";

  static final String INSERT =
      "WITH v AS (SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[], "
          + "$8::text[], $9::text[], $10::text[], $11::bigint[], $12::uuid[], $13::text[], $14::text[], $15::text[], $16::text[], "
          + "$17::text[], $18::text[], $19::uuid[], $20::int[], $21::bigint[], $22::text[], $23::text[], $24::int[], $25::int[], "
          + "$26::int[], $27::float8[], $28::int[], $29::int[], $30::bigint[], $31::timestamptz[]) WITH ORDINALITY AS v(id, "
          + "api_client_id, user_id, channel, tool_action, queue, priority, "
          + "input, idempotency_key, request_hash, points_cost, wallet_hold_id, webhook_url, mode, source_image, reference_image, "
          + "config, input_assets, batch_id, batch_index, seed, prompt, negative_prompt, width, height, num_inference_steps, "
          + "guidance_scale, own_max_retries, timeout_ms, config_id, scheduled_for, n)), "
          // a task config's max_retries overrides its queue's for its tasks (issue 12)
          + "q AS (SELECT v.*, coalesce(v.own_max_retries, c.max_retries) AS max_retries, c.enable_priority, "
          + "row_number() OVER (PARTITION BY v.queue, v.api_client_id, v.user_id ORDER BY v.n) - 1 AS nth, "
          + "v.queue || '|' || v.api_client_id || '|' || coalesce(v.user_id, '') || '|' || v.priority AS line "
          + "FROM v JOIN queue_configs c ON c.queue = v.queue), "
          // Once per tenant line (and priority level), not per row: each look walks past the rows that
          // concurrent inserts of the same tenant have not committed yet, so per row it would cost n².
          + "g AS MATERIALIZED (SELECT l.line, " + String.format(FAIR_SEQ, "l", "l.enable_priority")
          + " AS base FROM (SELECT DISTINCT ON (line) line, queue, api_client_id, user_id, priority, enable_priority FROM q) l), "
          + "t AS (INSERT INTO tasks (id, api_client_id, user_id, channel, tool_action, queue, priority, input, max_retries, "
          + "idempotency_key, request_hash, points_cost, wallet_hold_id, webhook_url, mode, source_image, reference_image, config, "
          + "result, batch_id, batch_index, seed, prompt, negative_prompt, width, height, num_inference_steps, guidance_scale, "
          + "fair_seq, timeout_ms, config_id, scheduled_for, created_at) "
          + "SELECT q.id, q.api_client_id, q.user_id, q.channel, q.tool_action, q.queue, q.priority, q.input::jsonb, q.max_retries, "
          + "q.idempotency_key, q.request_hash, q.points_cost, q.wallet_hold_id, q.webhook_url, q.mode, q.source_image, "
          + "q.reference_image, q.config::jsonb, "
          // seed 000: the first input image is the task's preview from the start
          + "CASE WHEN jsonb_array_length(q.input_assets::jsonb) > 0 "
          + "THEN jsonb_build_object('input_preview_asset_id', q.input_assets::jsonb -> 0 ->> 'id') END, "
          + "q.batch_id, q.batch_index, q.seed, q.prompt, q.negative_prompt, q.width, q.height, q.num_inference_steps, "
          + "q.guidance_scale, (SELECT g.base FROM g WHERE g.line = q.line) + q.nth, q.timeout_ms, q.config_id, q.scheduled_for, "
          // clock_timestamp, not now(): tasks written in one statement still get distinct, ordered times
          + "clock_timestamp() FROM q ORDER BY q.n "
          // A repeated Idempotency-Key inserts nothing (and returns no row): the caller replays.
          + "ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
          + "RETURNING " + TaskJson.COLUMNS + ", api_client_id, user_id, points_cost, wallet_hold_id, batch_index), "
          // the input assets in the order given, source first (the listing is by created_at)
          + "a AS (INSERT INTO task_assets (id, task_id, asset_type, object_key, file_name, mime_type, size_bytes, width, height, "
          + "checksum, metadata, created_at) "
          + "SELECT j.id, t.id, 'input', j.object_key, j.file_name, j.mime_type, j.size_bytes, j.width, j.height, j.checksum, "
          + "j.metadata, clock_timestamp() FROM t JOIN q ON q.id = t.id, jsonb_to_recordset(q.input_assets::jsonb) AS j(id uuid, "
          + "object_key text, file_name text, mime_type text, size_bytes bigint, width int, height int, checksum text, metadata jsonb)), "
          // the event at its task's time: the default, now(), is the transaction's start, before it
          + "e AS (INSERT INTO task_events (task_id, event_type, payload, created_at) "
          + "SELECT id, '" + TaskEvent.CREATED + "', jsonb_strip_nulls(jsonb_build_object('status', status, 'tool_action', tool_action, "
          + "'queue', queue, 'batch_index', batch_index)), created_at FROM t RETURNING " + TaskEvent.INSERTED + ") "
          + "SELECT t.*, e.task_id, e.event_id, e.event_type, e.payload, e.event_created_at FROM t JOIN e ON e.task_id = t.id";

  /** Inserts the tasks; returns the rows really inserted (a repeated Idempotency-Key's task is not among them). */
  static Future<RowSet<Row>> insert(SqlConnection conn, List<NewTask> tasks) {
    int n = tasks.size();
    UUID[] id = new UUID[n];
    String[] client = new String[n], user = new String[n], channel = new String[n], action = new String[n], queue = new String[n];
    Integer[] priority = new Integer[n];
    String[] input = new String[n], idem = new String[n], hash = new String[n];
    Long[] cost = new Long[n];
    UUID[] hold = new UUID[n];
    String[] webhook = new String[n], mode = new String[n], source = new String[n], reference = new String[n];
    String[] config = new String[n], assets = new String[n];
    UUID[] batch = new UUID[n];
    Integer[] index = new Integer[n];
    Long[] seed = new Long[n];
    String[] prompt = new String[n], negative = new String[n];
    Integer[] width = new Integer[n], height = new Integer[n], steps = new Integer[n];
    Double[] guidance = new Double[n];
    Integer[] ownRetries = new Integer[n], timeoutMs = new Integer[n];
    Long[] configId = new Long[n];
    java.time.OffsetDateTime[] scheduledFor = new java.time.OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      NewTask t = tasks.get(i);
      id[i] = t.id();
      client[i] = t.apiClientId();
      user[i] = t.userId();
      channel[i] = t.channel();
      action[i] = t.toolAction();
      queue[i] = t.queue();
      priority[i] = t.priority();
      input[i] = t.input().encode();
      idem[i] = t.idempotencyKey();
      hash[i] = t.requestHash();
      cost[i] = t.pointsCost();
      hold[i] = t.pointsCost() > 0 ? UUID.randomUUID() : null;
      webhook[i] = t.webhookUrl();
      mode[i] = t.mode();
      source[i] = t.sourceImage();
      reference[i] = t.referenceImage();
      config[i] = t.config() == null ? null : t.config().encode();
      assets[i] = (t.inputAssets() == null ? new JsonArray() : t.inputAssets()).encode();
      NewTask.BatchItem b = t.batch();
      if (b != null) {
        batch[i] = b.batchId();
        index[i] = b.index();
        seed[i] = b.seed();
        prompt[i] = b.prompt();
        negative[i] = b.negativePrompt();
        width[i] = b.width();
        height[i] = b.height();
        steps[i] = b.numInferenceSteps();
        guidance[i] = b.guidanceScale();
      }
      NewTask.Template from = t.template();
      if (from != null) {
        configId[i] = from.configId();
        scheduledFor[i] = from.scheduledFor();
        ownRetries[i] = from.maxRetries();
        timeoutMs[i] = from.timeoutMs();
      }
    }
    Tuple args = Tuple.tuple().addArrayOfUUID(id).addArrayOfString(client).addArrayOfString(user).addArrayOfString(channel)
        .addArrayOfString(action).addArrayOfString(queue).addArrayOfInteger(priority).addArrayOfString(input)
        .addArrayOfString(idem).addArrayOfString(hash).addArrayOfLong(cost).addArrayOfUUID(hold).addArrayOfString(webhook)
        .addArrayOfString(mode).addArrayOfString(source).addArrayOfString(reference).addArrayOfString(config)
        .addArrayOfString(assets).addArrayOfUUID(batch).addArrayOfInteger(index).addArrayOfLong(seed)
        .addArrayOfString(prompt).addArrayOfString(negative).addArrayOfInteger(width).addArrayOfInteger(height)
        .addArrayOfInteger(steps).addArrayOfDouble(guidance).addArrayOfInteger(ownRetries).addArrayOfInteger(timeoutMs)
        .addArrayOfLong(configId).addArrayOfOffsetDateTime(scheduledFor);
    return conn.preparedQuery(INSERT).execute(args);
  }
}
