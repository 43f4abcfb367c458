package dev.kiln.http.server;

import dev.kiln.common.config.HttpLimits;
import dev.kiln.common.metrics.KilnMetrics;
import dev.kiln.http.api.Problems;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpServerConnection;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Watches one HTTP/1 connection for clients that hold a node without using it (slowloris): a
 * request's line and headers must be complete {@code headerTimeoutMs} after their first byte (on
 * a new connection, after it opened: a silent one goes too), and its body {@code bodyTimeoutMs}
 * after its headers, else {@code 408 request_timeout} and the connection closes. A trickle of
 * bytes keeps the idle timeout away, not these. A body Netty cannot decode (a bad chunk size)
 * is answered {@code 400 malformed_body} and the connection closed, where Vert.x would drop it
 * unanswered. It also keeps the node's count of open connections and closes one over the bound
 * at once.
 *
 * <p>Netty handlers, not Vert.x timers: only the pipeline sees the first byte of a request and
 * the last of its body, on every request of a keep-alive connection. Vert.x has no public way
 * into the pipeline; {@link HttpServerConnection#channelHandlerContext()} is its own internal
 * one. Everything runs on the connection's event loop.
 */
final class ConnectionGuard extends ChannelDuplexHandler {
  /** Where the connection is in its request/response cycle. */
  private enum Phase { BETWEEN, HEAD, BODY, ANSWERING, CLOSED }

  private final HttpLimits limits;
  private Phase phase = Phase.HEAD;
  private ScheduledFuture<?> deadline;
  private ChannelHandlerContext ctx;
  /** The current request's path (the 408's instance), and whether its answer began or ended. */
  private String path = "";
  private String method = "";
  private boolean answerStarted;
  private boolean answerEnded;

  private ConnectionGuard(HttpLimits limits) {
    this.limits = limits;
  }

  /**
   * From the server's connection handler: counts the connection against {@code open} (closing it
   * at once over the bound), then watches it. Connections that are not HTTP/1 (HTTP/2 over TLS,
   * were it enabled) are counted only.
   */
  static void install(HttpConnection conn, HttpLimits limits, AtomicInteger open) {
    ChannelPipeline pipeline = ((HttpServerConnection) conn).channelHandlerContext().pipeline();
    if (open.incrementAndGet() > limits.maxConnections() && limits.maxConnections() > 0) {
      open.decrementAndGet();
      KilnMetrics.httpConnectionClosed("max_connections");
      pipeline.channel().close();
      return;
    }
    pipeline.channel().closeFuture().addListener(f -> open.decrementAndGet());
    if (pipeline.get("httpDecoder") == null || pipeline.get("handler") == null) return;
    ConnectionGuard guard = new ConnectionGuard(limits);
    pipeline.addBefore("httpDecoder", "kilnFirstByte", guard.new FirstByte());
    pipeline.addBefore("handler", "kilnGuard", guard);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    arm(limits.headerTimeoutMs(), this::headersLate);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    disarm();
  }

  /** Before the decoder: the first byte of the next request starts its header deadline. */
  private final class FirstByte extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext c, Object msg) {
      if (phase == Phase.CLOSED) {
        ReferenceCountUtil.release(msg); // timed out: what is left of the request goes nowhere
        return;
      }
      if (phase == Phase.BETWEEN && msg instanceof ByteBuf b && b.isReadable()) {
        phase = Phase.HEAD;
        arm(limits.headerTimeoutMs(), ConnectionGuard.this::headersLate);
      }
      c.fireChannelRead(msg);
    }
  }

  /** After the decoder: a request's headers, then the end of its body. */
  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (phase == Phase.CLOSED) {
      ReferenceCountUtil.release(msg); // a body completed after its 408 must not reach a route
      return;
    }
    if (msg instanceof HttpRequest req) {
      disarm();
      phase = Phase.BODY;
      int q = req.uri().indexOf('?');
      path = q < 0 ? req.uri() : req.uri().substring(0, q);
      method = req.method().name();
      answerStarted = false;
      answerEnded = false;
      arm(limits.bodyTimeoutMs(), this::bodyLate);
    }
    // A request whose head failed (a line too long, say) is Vert.x's to answer (414, 431, 400);
    // a broken body is not answered by Vert.x at all.
    if (msg instanceof HttpContent c && !(msg instanceof HttpRequest) && c.decoderResult().isFailure() && phase == Phase.BODY) {
      ReferenceCountUtil.release(msg);
      malformed(c.decoderResult().cause());
      return;
    }
    if (msg instanceof LastHttpContent && phase == Phase.BODY) {
      disarm();
      phase = answerEnded ? Phase.BETWEEN : Phase.ANSWERING;
    }
    ctx.fireChannelRead(msg);
  }

  /** The answer, on its way out: once it ended, the connection waits for the next request. */
  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (phase == Phase.CLOSED) {
      ReferenceCountUtil.release(msg); // the 408 went first; the connection is closing
      promise.tryFailure(new ClosedChannelException());
      return;
    }
    if (msg instanceof HttpResponse res && res.status().codeClass() != HttpStatusClass.INFORMATIONAL) answerStarted = true;
    if (msg instanceof LastHttpContent) {
      answerEnded = true;
      if (phase == Phase.ANSWERING) phase = Phase.BETWEEN;
    }
    ctx.write(msg, promise);
  }

  /** Vert.x closes a connection on the idle timeout's event; it is counted here on its way. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent && phase != Phase.CLOSED) KilnMetrics.httpConnectionClosed("idle_timeout");
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    disarm();
    super.channelInactive(ctx);
  }

  private void headersLate() {
    if (phase != Phase.HEAD) return;
    phase = Phase.CLOSED;
    KilnMetrics.httpConnectionClosed("header_timeout");
    ctx.close();
  }

  private void bodyLate() {
    if (phase != Phase.BODY) return;
    phase = Phase.CLOSED;
    KilnMetrics.httpConnectionClosed("body_timeout");
    ctx.channel().config().setAutoRead(false);
    if (answerStarted) {
      ctx.close(); // answered already (a 413, say): nothing more to say
      return;
    }
    answer(HttpResponseStatus.REQUEST_TIMEOUT, Problems.json(408, "request_timeout", "the request body was not complete within "
        + limits.bodyTimeoutMs() + " ms of its headers", path));
  }

  /**
   * The body's framing broke: nothing after it can be read as this request or the next, so the
   * request never reaches its route (it would see a truncated body, or Vert.x would close the
   * connection with no answer at all): a 400, then the close.
   */
  private void malformed(Throwable cause) {
    disarm();
    phase = Phase.CLOSED;
    ctx.channel().config().setAutoRead(false);
    Problems.logMalformed(method, path, String.valueOf(cause.getMessage()));
    if (answerStarted) {
      ctx.close();
      return;
    }
    answer(HttpResponseStatus.BAD_REQUEST, Problems.json(400, "malformed_body", "the request body could not be decoded: "
        + cause.getMessage(), path));
  }

  /** A whole answer of the guard's own, then the close. */
  private void answer(HttpResponseStatus status, String problem) {
    byte[] body = problem.getBytes(StandardCharsets.UTF_8);
    DefaultFullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, Problems.CONTENT_TYPE).setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store").set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
  }

  private void arm(int ms, Runnable late) {
    disarm();
    if (ms > 0 && ctx != null) deadline = ctx.executor().schedule(late, ms, TimeUnit.MILLISECONDS);
  }

  private void disarm() {
    if (deadline != null) deadline.cancel(false);
    deadline = null;
  }
}
