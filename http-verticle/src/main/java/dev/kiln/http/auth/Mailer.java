package dev.kiln.http.auth;

import dev.kiln.common.config.ApiConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import java.nio.file.Path;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the sign-in e-mails: through the configured SMTP relay, or, with none (the embedded
 * mode), into the log and {@code <data dir>/mail/outbox.txt}, so a developer can sign in.
 */
final class Mailer {
  private static final Logger LOG = LoggerFactory.getLogger(Mailer.class);

  private final Vertx vertx;
  private final MailClient client;
  private final String from;
  private final Path outbox;

  Mailer(Vertx vertx, ApiConfig.Smtp smtp, Path dataDir) {
    this.vertx = vertx;
    this.outbox = dataDir.resolve("mail").resolve("outbox.txt");
    if (smtp == null) {
      this.client = null;
      this.from = "kiln@localhost";
      return;
    }
    MailConfig config = new MailConfig().setHostname(smtp.host()).setPort(smtp.port())
        .setStarttls(switch (smtp.tls()) {
          case "disabled", "ssl" -> StartTLSOptions.DISABLED;
          case "required" -> StartTLSOptions.REQUIRED;
          default -> StartTLSOptions.OPTIONAL;
        })
        .setSsl("ssl".equals(smtp.tls()))
        .setConnectTimeout(10_000);
    if (smtp.username() != null) {
      config.setLogin(LoginOption.REQUIRED).setUsername(smtp.username()).setPassword(smtp.password());
    } else {
      config.setLogin(LoginOption.DISABLED);
    }
    this.client = MailClient.create(vertx, config);
    this.from = smtp.from();
  }

  Future<Void> send(String to, String subject, String text) {
    if (client != null) {
      return client.sendMail(new MailMessage().setFrom(from).setTo(to).setSubject(subject).setText(text)).mapEmpty();
    }
    LOG.info("No SMTP relay (KILN_SMTP_HOST): mail to {} kept in {}: {}", to, outbox, subject);
    String entry = "--- " + Instant.now() + "\nTo: " + to + "\nSubject: " + subject + "\n\n" + text + "\n";
    return vertx.fileSystem().mkdirs(outbox.getParent().toString())
        .compose(v -> vertx.fileSystem().open(outbox.toString(), new OpenOptions().setAppend(true).setCreate(true)))
        .compose(file -> file.write(Buffer.buffer(entry)).eventually(file::close));
  }
}
