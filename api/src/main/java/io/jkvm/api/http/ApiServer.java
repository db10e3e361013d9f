package io.jkvm.api.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The API's HTTP/1.1 server on a unix domain socket: Netty's epoll domain-socket transport and HTTP codec, on one
 * thread of its own (never the devices' event loop, so that a slow client cannot delay a queue doorbell), each
 * request handed whole to the {@link ApiRouter}. Bodies are limited to {@link #MAX_BODY} bytes, Firecracker's
 * default payload limit; a larger one is answered with a 400 and the connection closed.
 */
public final class ApiServer implements AutoCloseable {
    /** Firecracker's default http_api_max_payload_size: 50 KiB, far more than any configuration body. */
    public static final int MAX_BODY = 51200;

    private final MultiThreadIoEventLoopGroup group;
    private final Channel channel;

    private ApiServer(MultiThreadIoEventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /** Binds socket (which must not exist) and serves router on the thread "jkvm-api". */
    public static ApiServer start(Path socket, ApiRouter router) throws InterruptedException {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("jkvm-api", true), EpollIoHandler.newFactory());
        try {
            ServerBootstrap b = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new Limit(), new Handler(router));
                        }
                    });
            Channel ch = b.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
            return new ApiServer(group, ch);
        } catch (RuntimeException | InterruptedException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The event loop's thread, to schedule the periodic metrics flush on. */
    public void schedule(Runnable task, long periodSeconds) {
        group.next().scheduleAtFixedRate(task, periodSeconds, periodSeconds, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }

    /** The aggregator with Firecracker's answer to an oversized body: a 400 with a fault message. */
    private static final class Limit extends HttpObjectAggregator {
        Limit() {
            super(MAX_BODY);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            ctx.writeAndFlush(tooLarge(oversized)).addListener(ChannelFutureListener.CLOSE);
        }

        /** curl sends "Expect: 100-continue" before a body over 1 KiB: an oversized one gets the same 400. */
        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            if (HttpUtil.is100ContinueExpected(start) && HttpUtil.getContentLength(start, -1L) > maxContentLength) {
                return tooLarge(start);
            }
            return super.newContinueResponse(start, maxContentLength, pipeline);
        }

        private static FullHttpResponse tooLarge(HttpMessage m) {
            String len = m.headers().get(HttpHeaderNames.CONTENT_LENGTH, "more than " + MAX_BODY);
            return response(ApiResponse.fault(ApiResponse.BAD_REQUEST, "the request body is " + len + " bytes; "
                    + "jkvm accepts at most " + MAX_BODY), false);
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final ApiRouter router;

        Handler(ApiRouter router) {
            this.router = router;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.decoderResult().isFailure()) {
                ApiResponse r = ApiResponse.fault(ApiResponse.BAD_REQUEST, "malformed HTTP request: "
                        + req.decoderResult().cause().getMessage());
                ctx.writeAndFlush(response(r, false)).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            byte[] body = ByteBufUtil.getBytes(req.content());
            ApiResponse r = router.handle(req.method().name(), req.uri(), body);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            var f = ctx.writeAndFlush(response(r, keepAlive));
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // a client that went away mid-request; the server goes on
        }
    }

    static FullHttpResponse response(ApiResponse r, boolean keepAlive) {
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
        if (r.body().length > 0) {
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        }
        resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        if (keepAlive) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return resp;
    }
}
