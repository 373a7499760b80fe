/* A stand-in for the vendor reader libraries (sdtapi and Termb), compiled by the tests.
 *
 * It exports the real entry points with the real signatures and return codes, so the
 * kiosk's ctypes bindings are exercised unchanged. The "card" is a file: $STANDIN_DIR/card.bin
 * holds the 256-byte chip text block followed by the 1024-byte photo; no file = no card.
 * $STANDIN_DIR/unplugged makes every call fail as a pulled cable does. Only port 1001
 * (the first USB port) has a reader, so port scanning is exercised too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int open_port = 0;
static unsigned char text[256], photo[1024];

static const char *path_of(const char *name, char *buf, size_t n) {
    const char *dir = getenv("STANDIN_DIR");
    snprintf(buf, n, "%s/%s", dir ? dir : ".", name);
    return buf;
}

static int unplugged(void) {
    char p[1024];
    FILE *f = fopen(path_of("unplugged", p, sizeof p), "rb");
    if (f) { fclose(f); return 1; }
    return 0;
}

static int load_card(void) {
    char p[1024];
    FILE *f = fopen(path_of("card.bin", p, sizeof p), "rb");
    if (!f) return 0;
    size_t a = fread(text, 1, sizeof text, f), b = fread(photo, 1, sizeof photo, f);
    fclose(f);
    return a == sizeof text && b == sizeof photo;
}

/* ---- sdtapi: return the module's SW3 ---- */
int SDT_OpenPort(int port) {
    if (unplugged() || port != 1001) return 0x01;
    open_port = port;
    return 0x90;
}
int SDT_ClosePort(int port) { if (port == open_port) open_port = 0; return 0x90; }
int SDT_StartFindIDCard(int port, unsigned char *mana, int if_open) {
    (void)mana; (void)if_open;
    if (unplugged() || port != open_port) return 0x01;
    return load_card() ? 0x9F : 0x80;
}
int SDT_SelectIDCard(int port, unsigned char *mana, int if_open) {
    (void)mana; (void)if_open;
    if (unplugged() || port != open_port) return 0x01;
    return load_card() ? 0x90 : 0x81;
}
int SDT_ReadBaseMsg(int port, unsigned char *ch, unsigned int *ch_len, unsigned char *ph,
                    unsigned int *ph_len, int if_open) {
    (void)if_open;
    if (unplugged() || port != open_port) return 0x01;
    if (!load_card()) return 0x41;
    memcpy(ch, text, sizeof text); *ch_len = sizeof text;
    memcpy(ph, photo, sizeof photo); *ph_len = sizeof photo;
    return 0x90;
}

/* ---- Termb: 1 = success; getters copy GBK text written by the test as card.gbk/<n> ---- */
int CVR_InitComm(int port) { return (!unplugged() && port == 1001) ? 1 : 0; }
int CVR_CloseComm(void) { return 1; }
int CVR_Authenticate(void) { return (!unplugged() && load_card()) ? 1 : 0; }
int CVR_Read_Content(int active) { (void)active; return (!unplugged() && load_card()) ? 1 : 0; }

static int field(int index, char *buf, int *len) {
    char p[1024], name[32];
    snprintf(name, sizeof name, "field%d.gbk", index);
    FILE *f = fopen(path_of(name, p, sizeof p), "rb");
    if (!f) return 0;
    int n = (int)fread(buf, 1, (size_t)(*len > 0 ? *len : 0), f);
    fclose(f);
    *len = n;
    return 1;
}
int GetPeopleName(char *b, int *n) { return field(0, b, n); }
int GetPeopleSex(char *b, int *n) { return field(1, b, n); }
int GetPeopleNation(char *b, int *n) { return field(2, b, n); }
int GetPeopleBirthday(char *b, int *n) { return field(3, b, n); }
int GetPeopleAddress(char *b, int *n) { return field(4, b, n); }
int GetPeopleIDCode(char *b, int *n) { return field(5, b, n); }
int GetDepartment(char *b, int *n) { return field(6, b, n); }
int GetStartDate(char *b, int *n) { return field(7, b, n); }
int GetEndDate(char *b, int *n) { return field(8, b, n); }
