/*
 * splice.c: raw tcp tunnels kernel to kernel (see conn.h).  Each direction
 * moves through a pipe with splice(2): socket to pipe, pipe to socket, the
 * pages never copied into the edge.  A pipe is taken from the edge's pool
 * when a direction has bytes to move and given back as soon as it is empty,
 * so an idle connection holds none; if no pipe can be had (EMFILE) the
 * copying pump in relay.c moves that turn's bytes, and sockets that cannot
 * splice (EINVAL) use it from then on.
 *
 * splice(socket, pipe) fails with EAGAIN both when the socket is drained
 * and when the pipe is full; with bytes in the pipe it is taken as full
 * (the socket stays readable and is tried again once the pipe is empty).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tunnels/conn.h"

struct edge_pipe {
	struct edge_pipe *next;    /* in the pool */
	int rd, wr;
	size_t bytes;              /* held, spliced in and not yet out */
	size_t cap;
};

static int
blocked(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static struct edge_pipe *
pipe_get(struct edge *e)
{
	struct edge_pipe *p = e->pipes;
	int fds[2], cap;

	if (p != NULL) {
		e->pipes = p->next;
		e->npipes--;
		p->next = NULL;
		return p;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(p);
		return NULL;
	}
	p->rd = fds[0];
	p->wr = fds[1];
	cap = fcntl(p->wr, F_GETPIPE_SZ);
	p->cap = cap > 0 ? (size_t)cap : 65536;
	return p;
}

/* Back to the pool if empty and the pool has room, else closed (bytes
 * still in it are lost with the connection they belonged to). */
static void
pipe_put(struct edge *e, struct edge_pipe *p)
{
	if (p->bytes == 0 && e->npipes < EDGE_PIPES_SPARE) {
		p->next = e->pipes;
		e->pipes = p;
		e->npipes++;
		return;
	}
	close(p->rd);
	close(p->wr);
	free(p);
}

void
splice_pool_free(struct edge *e)
{
	struct edge_pipe *p;

	while ((p = e->pipes) != NULL) {
		e->pipes = p->next;
		close(p->rd);
		close(p->wr);
		free(p);
	}
	e->npipes = 0;
}

size_t
splice_pending(const struct edge_conn *c, int up)
{
	const struct edge_pipe *p = up ? c->pipe_up : c->pipe_down;

	return p != NULL ? p->bytes : 0;
}

void
splice_release(struct edge_conn *c)
{
	if (c->pipe_up != NULL)
		pipe_put(c->edge, c->pipe_up);
	if (c->pipe_down != NULL)
		pipe_put(c->edge, c->pipe_down);
	c->pipe_up = c->pipe_down = NULL;
}

/* The readiness of a direction's two sockets. */
static int
src_readable(const struct edge_conn *c, int up)
{
	return up ? c->tio.readable : c->t_readable;
}

static void
set_src_readable(struct edge_conn *c, int up, int on)
{
	if (up)
		c->tio.readable = on;
	else
		c->t_readable = on;
}

static int
dst_writable(const struct edge_conn *c, int up)
{
	return up ? c->t_writable : c->tio.writable;
}

static void
set_dst_writable(struct edge_conn *c, int up, int on)
{
	if (up)
		c->t_writable = on;
	else
		c->tio.writable = on;
}

/* Socket to pipe.  PUMP_MORE: bytes came (or the pipe is full), PUMP_IDLE:
 * the socket is drained, PUMP_EOF, PUMP_COPY (cannot splice), PUMP_ERROR. */
static enum pump_status
fill(struct edge_conn *c, int up, struct edge_pipe *p, int src)
{
	ssize_t n = splice(src, NULL, p->wr, NULL, p->cap - p->bytes,
	    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (n > 0) {
		p->bytes += (size_t)n;
		metrics_add(up ? &c->edge->stats.bytes_to_target : &c->edge->stats.bytes_to_client,
		    (uint64_t)n);
		conn_touch(c);
		return PUMP_MORE;
	}
	if (n == 0)
		return PUMP_EOF;
	if (blocked(errno)) {
		/* Drained, unless the pipe is what is full. */
		if (p->bytes == 0 && errno != EINTR) {
			set_src_readable(c, up, 0);
			return PUMP_IDLE;
		}
		return PUMP_MORE;
	}
	if (errno == EINVAL && p->bytes == 0) {
		if (up)
			c->copy_up = 1;
		else
			c->copy_down = 1;
		return PUMP_COPY;
	}
	return PUMP_ERROR;
}

/* Pipe to socket; -1 on a failed write. */
static int
drain(struct edge_conn *c, int up, struct edge_pipe *p, int dst, size_t *moved)
{
	ssize_t n = splice(p->rd, NULL, dst, NULL, p->bytes, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);

	if (n > 0) {
		p->bytes -= (size_t)n;
		*moved += (size_t)n;
		return 0;
	}
	if (n < 0 && blocked(errno)) {
		set_dst_writable(c, up, errno == EINTR);
		return 0;
	}
	return -1;
}

enum pump_status
splice_pump(struct edge_conn *c, int up, size_t budget)
{
	struct edge_pipe **pp = up ? &c->pipe_up : &c->pipe_down;
	int src = up ? c->fd : c->tfd, dst = up ? c->tfd : c->fd;
	int eof = up ? c->client_eof : c->target_eof;
	enum pump_status st = PUMP_IDLE, in;
	size_t moved = 0;

	for (;;) {
		if (*pp != NULL && (*pp)->bytes > 0 && dst_writable(c, up) &&
		    drain(c, up, *pp, dst, &moved) != 0) {
			st = PUMP_ERROR;
			break;
		}
		if (*pp != NULL && (*pp)->bytes > 0 && !dst_writable(c, up))
			break;   /* back-pressure: the destination's event resumes */
		if (eof || !src_readable(c, up))
			break;
		if (moved >= budget) {
			st = PUMP_MORE;
			break;
		}
		if (*pp == NULL && (*pp = pipe_get(c->edge)) == NULL) {
			st = PUMP_COPY;
			break;
		}
		in = fill(c, up, *pp, src);
		if (in == PUMP_EOF) {
			eof = 1;
			st = PUMP_EOF;
		} else if (in != PUMP_MORE) {
			st = in;
			if (in != PUMP_IDLE)
				break;
		}
	}
	if (*pp != NULL && (*pp)->bytes == 0) {
		pipe_put(c->edge, *pp);
		*pp = NULL;
	}
	return st;
}
