/*
 * hilbert_map: drawing and describing a map of curve stretches.  Untrusted
 * text (paths, process names) reaches the HTML page only inside a JSON
 * block whose <, > and & are \u-escaped, and the page's script puts it on
 * screen with textContent — never as markup.  The visible legend is
 * escaped as HTML.
 */
#include "config.h"
#include "hilbert_map.h"
#include "hilbert.h"
#include "hilbert_canvas.h"
#include "caption.h"
#include "gilbert.h"
#include "json.h"
#include "image.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void ml_hmap_init(struct ml_hmap *m, bool gilbert, uint64_t cells, const uint8_t bg[3])
{
	memset(m, 0, sizeof *m);
	m->gilbert = gilbert;
	if (gilbert) {
		ml_gilbert_shape(cells ? cells : 1, &m->cols, &m->rows);
	} else {
		m->order = ml_hilbert_order_for(cells);
		if (m->order < 1)
			m->order = 1;
		m->cols = m->rows = 1u << m->order;
	}
	uint32_t side = ML_MAX(m->cols, m->rows);
	m->cellpx = side >= ML_HMAP_PIXELS ? 1 : ML_HMAP_PIXELS / side;
	uint64_t n = ml_hmap_cells(m);
	m->rgb = ml_malloc((size_t)n * 3);
	for (uint64_t i = 0; i < n; i++)
		memcpy(m->rgb + i * 3, bg, 3);
}

uint64_t ml_hmap_cells(const struct ml_hmap *m)
{
	return (uint64_t)m->cols * m->rows;
}

void ml_hmap_run(struct ml_hmap *m, uint64_t c0, uint64_t c1, char *tip, json_t *info)
{
	if (m->nruns == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->runs = ml_reallocarray(m->runs, m->cap, sizeof *m->runs);
	}
	m->runs[m->nruns++] = (struct ml_hrun){ c0, c1, tip, info };
}

void ml_hmap_set(struct ml_hmap *m, uint64_t cell, const uint8_t rgb[3])
{
	memcpy(m->rgb + cell * 3, rgb, 3);
}

void ml_hmap_hex(const uint8_t rgb[3], char out[8])
{
	snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

void ml_hmap_legend(struct ml_hmap *m, const uint8_t rgb[3], const char *label)
{
	if (m->nlegend == m->legend_cap) {
		m->legend_cap = m->legend_cap ? m->legend_cap * 2 : 16;
		m->legend = ml_reallocarray(m->legend, m->legend_cap, sizeof *m->legend);
	}
	struct ml_hlegend *e = &m->legend[m->nlegend++];
	memcpy(e->rgb, rgb, 3);
	e->label = ml_strdup(label);
}

/* The legend as --map and the page's script read it: [{"colour": "#rrggbb", "label": ...}]. */
static json_t *legend_json(const struct ml_hmap *m)
{
	json_t *a = json_array();
	for (size_t i = 0; i < m->nlegend; i++) {
		char hex[8];
		ml_hmap_hex(m->legend[i].rgb, hex);
		json_t *e = json_object();
		json_object_set_new(e, "colour", json_string(hex));
		json_object_set_new(e, "label", ml_json_str(m->legend[i].label));
		json_array_append_new(a, e);
	}
	return a;
}

void ml_hmap_free(struct ml_hmap *m)
{
	for (size_t i = 0; i < m->nruns; i++) {
		free(m->runs[i].tip);
		json_decref(m->runs[i].info);
	}
	free(m->runs);
	free(m->rgb);
	for (size_t i = 0; i < m->nlegend; i++)
		free(m->legend[i].label);
	free(m->legend);
	free(m->title);
	free(m->scale);
	free(m->note);
	memset(m, 0, sizeof *m);
}

/* The legend drawn under the map: title, scale, note, then a swatch per colour (caption.h). */
static struct ml_caption caption(const struct ml_hmap *m, struct ml_caption_item *items)
{
	for (size_t i = 0; i < m->nlegend; i++) {
		memcpy(items[i].rgb, m->legend[i].rgb, 3);
		items[i].label = m->legend[i].label;
	}
	return (struct ml_caption){ { m->title, m->scale, m->note, NULL }, items, m->nlegend };
}

/* The legend w pixels wide: sets *h, and returns its pixels when draw is set. */
static uint8_t *render_legend(const struct ml_hmap *m, uint32_t w, uint32_t *h, bool draw)
{
	struct ml_caption_item *items = ml_calloc(m->nlegend + 1, sizeof *items);
	struct ml_caption c = caption(m, items);
	*h = ml_caption_height(&c, w);
	uint8_t *rgb = NULL;
	if (draw) {
		rgb = ml_malloc((size_t)w * *h * 3);
		ml_caption_draw(&c, rgb, w, *h);
	}
	free(items);
	return rgb;
}

/* The cells as a picture, cols x rows x 3, each at its place on the curve. */
static uint8_t *cell_grid(const struct ml_hmap *m)
{
	uint8_t *g = ml_malloc((size_t)ml_hmap_cells(m) * 3);
	if (m->gilbert) {
		struct ml_gilbert *w = ml_malloc(sizeof *w);
		uint32_t x, y;
		ml_gilbert_start(w, m->cols, m->rows);
		for (uint64_t d = 0; ml_gilbert_next(w, &x, &y); d++)
			memcpy(g + ((size_t)y * m->cols + x) * 3, m->rgb + d * 3, 3);
		free(w);
	} else {
		for (uint32_t y = 0; y < m->rows; y++)
			for (uint32_t x = 0; x < m->cols; x++)
				memcpy(g + ((size_t)y * m->cols + x) * 3, m->rgb + ml_hilbert_xy2d(m->order, x, y) * 3, 3);
	}
	return g;
}

int ml_hmap_png(const struct ml_hmap *m, FILE *f, const char **why)
{
	uint32_t w = m->cols * m->cellpx, mh = m->rows * m->cellpx, lh;
	uint8_t *legend = render_legend(m, w, &lh, true);
	char *title = ml_escape(m->title ? m->title : "");
	const char *text[] = { "Software", PACKAGE_STRING, "Title", title, "Layout", m->gilbert ? "gilbert" : "hilbert",
			       "Scale", m->scale ? m->scale : "", "Note", m->note ? m->note : "" };
	struct ml_img_info i = { .width = w, .height = mh + lh, .layout = ML_IMG_RGB, .level = -1,
				 .text = text, .ntext = ML_ARRAY_SIZE(text) / 2 };
	struct ml_img_sink sink = { f, -1, false };
	struct ml_img *p = ml_img_begin(ml_img_format_named("PNG"), &sink, &i, why);
	free(title);
	if (!p) {
		free(legend);
		return -1;
	}
	uint8_t *grid = cell_grid(m), *row = ml_malloc((size_t)w * 3);
	int r = 0;
	for (uint32_t y = 0; y < m->rows && !r; y++) {
		for (uint32_t x = 0; x < m->cols; x++)
			for (uint32_t k = 0; k < m->cellpx; k++)
				memcpy(row + ((size_t)x * m->cellpx + k) * 3, grid + ((size_t)y * m->cols + x) * 3, 3);
		for (uint32_t k = 0; k < m->cellpx && !r; k++)
			r = ml_img_rows(p, row, (size_t)w * 3, 1, why);
	}
	free(row);
	free(grid);
	if (!r)
		r = ml_img_rows(p, legend, (size_t)w * 3, lh, why);
	free(legend);
	if (r) {
		ml_img_abort(p);
		return -1;
	}
	return ml_img_end(p, why);
}

static json_t *runs_json(const struct ml_hmap *m, int with_tip)
{
	json_t *a = json_array();
	for (size_t i = 0; i < m->nruns; i++) {
		const struct ml_hrun *r = &m->runs[i];
		json_t *e = with_tip ? json_object() : json_deep_copy(r->info);
		json_object_set_new(e, "first_cell", json_integer((json_int_t)r->c0));
		json_object_set_new(e, "last_cell", json_integer((json_int_t)r->c1 - 1));
		if (with_tip)
			json_object_set_new(e, "tip", ml_json_str(r->tip));
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *head_json(const struct ml_hmap *m)
{
	json_t *o = json_object();
	json_object_set_new(o, "title", ml_json_str(m->title));
	json_object_set_new(o, "layout", json_string("hilbert"));
	json_object_set_new(o, "curve", json_string(m->gilbert ? "gilbert" : "hilbert"));
	json_object_set_new(o, "orientation", json_string(
		m->gilbert ? (m->cols > m->rows ? "cell 0 top-left, y down, along x: last cell top-right"
						 : "cell 0 top-left, y down, along y: last cell bottom-left")
			   : "binvis: cell 0 top-left, y down, last cell bottom-left"));
	if (!m->gilbert) {
		json_object_set_new(o, "order", json_integer(m->order));
		json_object_set_new(o, "side_cells", json_integer(1 << m->order));
	}
	json_object_set_new(o, "cols", json_integer(m->cols));
	json_object_set_new(o, "rows", json_integer(m->rows));
	json_object_set_new(o, "cell_pixels", json_integer(m->cellpx));
	uint32_t w = m->cols * m->cellpx, mh = m->rows * m->cellpx, lh;
	render_legend(m, w, &lh, false);
	json_object_set_new(o, "map_pixels", json_integer(mh));
	json_object_set_new(o, "width", json_integer(w));
	json_object_set_new(o, "height", json_integer(mh + lh));
	json_object_set_new(o, "scale", ml_json_str(m->scale));
	json_object_set_new(o, "note", ml_json_str(m->note));
	json_object_set_new(o, "legend", legend_json(m));
	return o;
}

int ml_hmap_json(const struct ml_hmap *m, json_t *source, FILE *f)
{
	json_t *o = json_object(), *head = head_json(m);
	json_object_set_new(o, "source", source);
	json_object_update(o, head);
	json_decref(head);
	json_object_set_new(o, "runs", runs_json(m, 0));
	return ml_json_print(o, f);
}

/* JSON for a <script> block: nothing in it can close the element. */
static void script_json(FILE *f, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);
	for (const char *p = s ? s : "null"; *p; p++) {
		if (*p == '<')
			fputs("\\u003c", f);
		else if (*p == '>')
			fputs("\\u003e", f);
		else if (*p == '&')
			fputs("\\u0026", f);
		else
			fputc(*p, f);
	}
	free(s);
}

static const char page_style[] =
	"body{font:14px sans-serif;margin:16px;background:#fafafa;color:#222}\n"
	"#wrap{position:relative;display:inline-block;line-height:0}\n"
	"#map{image-rendering:pixelated;cursor:crosshair}\n"
	"#tip{position:absolute;display:none;white-space:pre;line-height:1.3;font:12px monospace;"
	"background:#fffffe;border:1px solid #444;padding:4px 6px;pointer-events:none;z-index:2}\n"
	"table{border-collapse:collapse;margin-top:8px}td{padding:1px 8px 1px 0}\n"
	".sw{display:inline-block;width:14px;height:14px;border:1px solid #666;vertical-align:middle}\n";

/*
 * The page's script: pointer → cell → curve index (its own xy2d, the same
 * binvis orientation as the picture) → the stretch holding it.
 */
static const char page_script[] =
	"(function(){\n"
	"var D=JSON.parse(document.getElementById('data').textContent);\n"
	"var img=document.getElementById('map'),tip=document.getElementById('tip');\n"
	"function xy2d(order,x,y){var px=y,py=x,d=0,n=1<<order;\n"
	" for(var s=n>>1;s>0;s>>=1){var rx=(px&s)>0?1:0,ry=(py&s)>0?1:0;d+=s*s*((3*rx)^ry);\n"
	"  if(ry==0){if(rx==1){px=n-1-px;py=n-1-py;}var t=px;px=py;py=t;}}return d;}\n"
	/* the generalized curve: down its recursion, counting the cells of the parts passed */
	"function sg(v){return v>0?1:v<0?-1:0;}\n"
	"function g2d(W,H,x,y){var f=W>H?[0,0,W,0,0,H]:[0,0,0,H,W,0],d=0;\n"
	" for(;;){var fx=f[0],fy=f[1],ax=f[2],ay=f[3],bx=f[4],by=f[5];\n"
	"  var w=Math.abs(ax+ay),h=Math.abs(bx+by),dax=sg(ax),day=sg(ay),dbx=sg(bx),dby=sg(by);\n"
	"  if(h==1)return d+(x-fx)*dax+(y-fy)*day;if(w==1)return d+(x-fx)*dbx+(y-fy)*dby;\n"
	"  var ax2=Math.floor(ax/2),ay2=Math.floor(ay/2),bx2=Math.floor(bx/2),by2=Math.floor(by/2),P;\n"
	"  if(2*w>3*h){if((Math.abs(ax2+ay2)%2)&&w>2){ax2+=dax;ay2+=day;}\n"
	"   P=[[fx,fy,ax2,ay2,bx,by],[fx+ax2,fy+ay2,ax-ax2,ay-ay2,bx,by]];}\n"
	"  else{if((Math.abs(bx2+by2)%2)&&h>2){bx2+=dbx;by2+=dby;}\n"
	"   P=[[fx,fy,bx2,by2,ax2,ay2],[fx+bx2,fy+by2,ax,ay,bx-bx2,by-by2],\n"
	"    [fx+(ax-dax)+(bx2-dbx),fy+(ay-day)+(by2-dby),-bx2,-by2,-(ax-ax2),-(ay-ay2)]];}\n"
	"  for(var k=0;k<P.length;k++){var c=P[k],cw=Math.abs(c[2]+c[3]),chh=Math.abs(c[4]+c[5]);\n"
	"   var ci=(x-c[0])*sg(c[2])+(y-c[1])*sg(c[3]),cj=(x-c[0])*sg(c[4])+(y-c[1])*sg(c[5]);\n"
	"   if(ci>=0&&ci<cw&&cj>=0&&cj<chh){f=c;break;}d+=cw*chh;}}}\n"
	"function find(d){var lo=0,hi=D.runs.length-1;while(lo<=hi){var m=(lo+hi)>>1,r=D.runs[m];\n"
	" if(d<r.first_cell)hi=m-1;else if(d>r.last_cell)lo=m+1;else return r;}return null;}\n"
	"function show(ev){var b=img.getBoundingClientRect(),k=b.width/D.width;\n"
	" var x=Math.floor((ev.clientX-b.left)/k/D.cell_pixels),y=Math.floor((ev.clientY-b.top)/k/D.cell_pixels);\n"
	" if(x<0||y<0||x>=D.cols||y>=D.rows){tip.style.display='none';return;}\n"
	" var d=D.curve=='gilbert'?g2d(D.cols,D.rows,x,y):xy2d(D.order,x,y),r=find(d);\n"
	" tip.textContent=r?r.tip:'cell '+d+': unused';\n"
	" tip.style.left=(ev.clientX-b.left+14)+'px';tip.style.top=(ev.clientY-b.top+14)+'px';\n"
	" tip.style.display='block';}\n"
	"img.addEventListener('mousemove',show);\n"
	"img.addEventListener('mouseleave',function(){tip.style.display='none';});\n"
	"})();\n";

int ml_hmap_html(const struct ml_hmap *m, FILE *f, const uint8_t *png, size_t len)
{
	uint32_t px = m->cols * m->cellpx, lh;
	render_legend(m, px, &lh, false);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	ml_html_text(f, m->title);
	fprintf(f, "</title>\n<style>\n%s</style></head><body>\n<h1 style=\"font-size:18px\">", page_style);
	ml_html_text(f, m->title);
	fputs("</h1>\n<p>", f);
	ml_html_text(f, m->scale);
	fputs("<br>", f);
	ml_html_text(f, m->note);
	fprintf(f, "</p>\n<div id=\"wrap\"><img id=\"map\" width=\"%u\" height=\"%u\" alt=\"Hilbert map\" src=\"data:image/png;base64,",
		px, m->rows * m->cellpx + lh);
	ml_base64(f, png, len);
	fputs("\"><div id=\"tip\"></div></div>\n<table id=\"legend\">\n", f);
	for (size_t i = 0; i < m->nlegend; i++) {
		char hex[8];
		ml_hmap_hex(m->legend[i].rgb, hex);
		fprintf(f, "<tr><td><span class=\"sw\" style=\"background:%s\"></span></td><td>", hex);
		ml_html_text(f, m->legend[i].label);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n<script type=\"application/json\" id=\"data\">", f);
	json_t *o = head_json(m);
	json_object_set_new(o, "runs", runs_json(m, 1));
	script_json(f, o);
	json_decref(o);
	fprintf(f, "</script>\n<script>\n%s</script>\n</body></html>\n", page_script);
	return ferror(f) ? -1 : 0;
}
